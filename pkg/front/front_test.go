package front

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

func TestVersionRunsHere(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"kubectl-stack", "version"}, Streams{&out, &errOut}); code != ExitOK || out.String() != version.Line()+"\n" {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

// A command line of the verbs binary, with none beside this one (the test
// binary's folder): one line naming what is missing and how to install it.
func TestAnotherVerbNeedsTheVerbsBinary(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"kubectl-stack", "status"}, Streams{&out, &errOut})
	msg := errOut.String()
	if code != ExitFailure || !strings.HasPrefix(msg, "error: "+VerbsBinary+" is not beside ") || !strings.Contains(msg, "go install github.com/kubectl-stack/kubectl-stack/cmd/...@") || strings.Count(msg, "\n") != 1 {
		t.Fatalf("status without the verbs binary: exit %d, stderr %q", code, msg)
	}
}

func TestParsePushTakesOnlyWholeReferencesAndItsFlags(t *testing.T) {
	ref := "kubectl-stack/watcher:v0.1.0"
	for _, c := range []struct {
		args []string
		want *push
	}{
		{[]string{"images", "push", "--to", "127.0.0.1:5000/team", "--from", "127.0.0.1:5001", ref}, &push{to: "127.0.0.1:5000/team", from: "127.0.0.1:5001", refs: []string{ref}}},
		{[]string{"images", "push", "--archive=a.tar", ref, "--to=127.0.0.1:5000", ref + "@sha256:" + strings.Repeat("a", 64)}, &push{to: "127.0.0.1:5000", archive: "a.tar", refs: []string{ref, ref + "@sha256:" + strings.Repeat("a", 64)}}},
		// The verbs binary's: a short name (the overlay says which tag),
		// no reference, another flag, no source, a bad registry, a flag
		// without its value, another verb.
		{[]string{"images", "push", "--to", "127.0.0.1:5000", "--from", "127.0.0.1:5001", "kubectl-stack/watcher"}, nil},
		{[]string{"images", "push", "--to", "127.0.0.1:5000", "--from", "127.0.0.1:5001"}, nil},
		{[]string{"images", "push", "--to", "127.0.0.1:5000", "--from", "127.0.0.1:5001", "-o", "json", ref}, nil},
		{[]string{"images", "push", "--kubeconfig", "k", "--to", "127.0.0.1:5000", "--from", "127.0.0.1:5001", ref}, nil},
		{[]string{"images", "push", "--to", "127.0.0.1:5000", ref}, nil},
		{[]string{"images", "push", "--to", "https://127.0.0.1:5000", "--from", "127.0.0.1:5001", ref}, nil},
		{[]string{"images", "push", "--from", "127.0.0.1:5001", ref, "--to"}, nil},
		{[]string{"images", "--to", "127.0.0.1:5000", "--from", "127.0.0.1:5001", ref}, nil},
		{[]string{"version", "-o", "json"}, nil},
	} {
		got, ok := parsePush(c.args)
		if ok != (c.want != nil) || ok && (got.to != c.want.to || got.from != c.want.from || got.archive != c.want.archive || !slices.Equal(got.refs, c.want.refs)) {
			t.Errorf("parsePush(%q) = %+v, %v; want %+v", c.args, got, ok, c.want)
		}
	}
}

// The front binary starts fast because it links neither Kubernetes nor
// kubectl nor cobra: a new import that brings one in undoes it.
func TestTheFrontBinaryLinksNoKubernetes(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/kubectl-stack/kubectl-stack/cmd/kubectl-stack").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "k8s.io/") || strings.HasPrefix(pkg, "sigs.k8s.io/") || strings.HasPrefix(pkg, "github.com/spf13/cobra") {
			t.Errorf("cmd/kubectl-stack links %s", pkg)
		}
	}
}

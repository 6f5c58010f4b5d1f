package cmd

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// complete drives cobra's completion entry point, as kubectl's plugin
// completion (kubectl_complete-stack) and the shell scripts do.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	cmd := NewCmdStack(streams)
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	cmd.SetArgs(append([]string{"__complete"}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatalf("__complete %v: %v", args, err)
	}
	buf.Write(out.Bytes())
	var words []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if line == "" || strings.HasPrefix(line, ":") || strings.HasPrefix(line, "Completion ended") {
			continue
		}
		word, _, _ := strings.Cut(line, "\t")
		words = append(words, word)
	}
	return words
}

func TestCompletionOffersVerbsAndFlags(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"apply", "backup", "backups", "delete", "diff", "events", "netcheck", "restore", "status", "version", "completion"}},
		{[]string{"status", "--"}, []string{"--watch", "--output", "--namespace", "--kubeconfig", "--context"}},
		{[]string{"status", "-o", ""}, []string{"wide", "json", "yaml"}},
		{[]string{"backup", "--"}, []string{"--force", "--compression", "--to", "--s3-endpoint"}},
		{[]string{"backup", "--compression", ""}, []string{"gzip", "zstd", "none"}},
		{[]string{"backups", ""}, []string{"prune"}},
		{[]string{"backups", "prune", "--"}, []string{"--keep-last", "--keep-daily", "--keep-weekly", "--from"}},
		{[]string{"netcheck", "--"}, []string{"--live", "--from", "--to", "--port", "--probe-image"}},
		{[]string{"events", "--type", ""}, []string{"created", "updated", "deleted"}},
	}
	for _, c := range cases {
		got := complete(t, c.args...)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("completing %q: %q missing from %v", c.args, w, got)
			}
		}
	}
}

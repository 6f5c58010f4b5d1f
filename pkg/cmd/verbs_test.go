package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest/fake"
	cmdtesting "k8s.io/kubectl/pkg/cmd/testing"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// runWith runs one verb built on kubectl's test factory, which answers
// without a cluster: it tests flag handling, not the verb's work.
func runWith(t *testing.T, newCmd func(cmdutil.Factory, genericiooptions.IOStreams) *cobra.Command, args ...string) error {
	t.Helper()
	cmd := newCmd(testFactory(t, ""), genericiooptions.NewTestIOStreamsDiscard())
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetFlagErrorFunc(flagUsageError)
	return cmd.Execute()
}

// testFactory is kubectl's test factory; its clients send nothing (no test
// here makes a request), ns is what -n would say.
func testFactory(t *testing.T, ns string) *cmdtesting.TestFactory {
	tf := cmdtesting.NewTestFactory()
	if ns != "" {
		tf = tf.WithNamespace(ns)
	}
	tf.Client = &fake.RESTClient{}
	t.Cleanup(tf.Cleanup)
	return tf
}

// Bad flags and arguments exit 2 in every verb, before any request.
func TestBadFlagsExitTwo(t *testing.T) {
	cases := []struct {
		name   string
		newCmd func(cmdutil.Factory, genericiooptions.IOStreams) *cobra.Command
		args   []string
	}{
		{"apply --dry-run=client", NewCmdApply, []string{"--dry-run=client"}},
		{"apply --timeout=0", NewCmdApply, []string{"--timeout=0s"}},
		{"apply with an argument", NewCmdApply, []string{"extra"}},
		{"delete --dry-run=client", NewCmdDelete, []string{"--dry-run=client"}},
		{"status -o xml", NewCmdStatus, []string{"-o", "xml"}},
		{"status --no-such-flag", NewCmdStatus, []string{"--no-such-flag"}},
		{"events --type renamed", NewCmdEvents, []string{"--type", "renamed"}},
		{"events --tail -2", NewCmdEvents, []string{"--tail", "-2"}},
		{"events --pod (", NewCmdEvents, []string{"--pod", "("}},
		{"events -o wide", NewCmdEvents, []string{"-o", "wide"}},
		{"netcheck half a query", NewCmdNetcheck, []string{"--from", "app=x"}},
		{"netcheck --live with a query", NewCmdNetcheck, []string{"--live", "--from", "a", "--to", "b", "--port", "1"}},
		{"netcheck a bad port", NewCmdNetcheck, []string{"--from", "a", "--to", "b", "--port", "99999"}},
		{"backup two files", NewCmdBackup, []string{"a.sql", "b.sql"}},
		{"restore no file", NewCmdRestore, nil},
		{"version -o name", NewCmdVersion, []string{"-o", "name"}},
	}
	for _, c := range cases {
		err := runWith(t, c.newCmd, c.args...)
		if ExitCode(err) != ExitUsage {
			t.Errorf("%s: exit %d (%v), want %d", c.name, ExitCode(err), err, ExitUsage)
		}
	}
}

// diff keeps kubectl diff's statuses: any error is 2, never 1 (differences).
func TestDiffErrorsExitTwo(t *testing.T) {
	err := runWith(t, NewCmdDiff, "-k", "no/such/overlay")
	if ExitCode(err) != ExitUsage {
		t.Fatalf("diff of a missing overlay: exit %d (%v), want 2", ExitCode(err), err)
	}
}

// One error type means "no stack here", in every verb, and it exits 3,
// wrapped or not; an ExitError's own code wins.
func TestExitCodes(t *testing.T) {
	notDeployed := &stack.NotDeployedError{Namespace: "default", Missing: "DaemonSet watcher"}
	cases := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{notDeployed, ExitNotDeployed},
		{fmt.Errorf("reading: %w", notDeployed), ExitNotDeployed},
		{&ExitError{Code: ExitUsage, Err: notDeployed}, ExitUsage},
		{usageError(errors.New("bad")), ExitUsage},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if got := HandleError(c.err, &stderr); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.want)
		}
		if c.err != nil && stderr.String() != "error: "+c.err.Error()+"\n" {
			t.Errorf("%v: stderr %q", c.err, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if got := HandleError(&ExitError{Code: ExitFailure}, &stderr); got != ExitFailure || stderr.Len() != 0 {
		t.Errorf("a bare exit status printed %q and exited %d", stderr.String(), got)
	}
}

// The namespace is decided once, in Complete: the stack's own unless -n
// names another.
func TestNamespaceIsTheStacksUnlessGiven(t *testing.T) {
	for _, c := range []struct {
		ns, want string
	}{{"", stack.Namespace}, {"elsewhere", "elsewhere"}} {
		var tg target
		if err := tg.completeTarget(testFactory(t, c.ns)); err != nil {
			t.Fatal(err)
		}
		if tg.namespace != c.want {
			t.Errorf("-n %q: namespace %q, want %q", c.ns, tg.namespace, c.want)
		}
	}
}

// An unknown verb is a usage error too.
func TestUnknownVerbExitsTwo(t *testing.T) {
	cmd := NewCmdStack(genericiooptions.NewTestIOStreamsDiscard())
	cmd.SetArgs([]string{"deploy"})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); ExitCode(err) != ExitUsage {
		t.Fatalf("kubectl stack deploy: exit %d (%v), want 2", ExitCode(err), err)
	}
}

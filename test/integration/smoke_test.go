package integration

import "testing"

func TestSmoke(t *testing.T) {
	r := stackCmd(t, "apply", "-k", repoPath(t, "overlays/dev"), "--wait=false")
	t.Logf("code=%d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	r = stackCmd(t, "apply", "-k", repoPath(t, "overlays/dev"), "--wait=false")
	t.Logf("code=%d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	r = stackCmd(t, "diff", "-k", repoPath(t, "overlays/prod"))
	t.Logf("code=%d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	r = stackCmd(t, "delete")
	t.Logf("code=%d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

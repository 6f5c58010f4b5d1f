package dbshell

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The script under a real sh, with a stand-in mysql that prints its
// arguments and the option file it was given: the password reaches the
// file escaped, never the arguments, and the database and user are right.
func TestScriptPassesThePasswordInAFileOnly(t *testing.T) {
	dir := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\ncat /dev/fd/3\n"
	if err := os.WriteFile(filepath.Join(dir, "mysql"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := `p"a\ss'w$rd`
	cases := []struct {
		user, database string
		args           []string
		want           []string
	}{
		{"app", "", []string{"-e", "SELECT 1"}, []string{"arg:--database=stack", "arg:-e", "arg:SELECT 1", "user=stack", `password="p\"a\\ss'w$rd"`, "default-character-set=utf8mb4"}},
		{"root", "", nil, []string{"user=root", `password="r\"oot"`}},
		{"root", "other db", nil, []string{"arg:--database=other db", "user=root"}},
	}
	for _, c := range cases {
		script, err := Script(c.user)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", append([]string{"-c", script, "mysql", c.database}, c.args...)...)
		cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "MYSQL_USER=stack", "MYSQL_PASSWORD=" + secret,
			"MYSQL_DATABASE=stack", `MYSQL_ROOT_PASSWORD=r"oot`}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.user, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w+"\n") {
				t.Errorf("%s %q: no line %q in\n%s", c.user, c.database, w, out)
			}
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "arg:") && (strings.Contains(line, "w$rd") || strings.Contains(line, "oot\"")) {
				t.Errorf("the password is an argument: %s", line)
			}
		}
		if c.user == "root" && strings.Contains(string(out), "arg:--database") != (c.database != "") {
			t.Errorf("root without --database must get no default database:\n%s", out)
		}
	}
	if _, err := Script("admin"); err == nil || !strings.Contains(err.Error(), "app or root") {
		t.Errorf("an unknown user: %v", err)
	}
}

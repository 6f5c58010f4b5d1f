// Package dbshell runs the mysql client in the database pod for a user: on
// a terminal as an interactive session, else with plain streams for
// scripts. The password comes from the container's own environment (the
// stack's Secret) through an option file on a descriptor, so it is never on
// a command line, in a process list or in shell history. It knows nothing
// of cobra; pkg/cmd/mysql.go is its command line.
package dbshell

import (
	"context"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/tools/remotecommand"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Users are the accounts a session can use: the stack's application user
// (the Secret's user, default) and root.
var Users = []string{"app", "root"}

// Options say how to run the client.
type Options struct {
	Namespace string
	// Pod is the database pod the client runs in.
	Pod string
	// User is "app" or "root".
	User string
	// Database to use; empty: the stack's database for app, none for root.
	Database string
	// Args go to the mysql client after the plugin's own options.
	Args []string
	// Sizes, when set, runs the client on a terminal in the container.
	Sizes remotecommand.TerminalSizeQueue
}

// Run runs the client in o.Pod with the streams given.
func Run(ctx context.Context, c *kube.Clients, o Options, stdin io.Reader, stdout, stderr io.Writer) error {
	script, err := Script(o.User)
	if err != nil {
		return err
	}
	command := append([]string{"sh", "-c", script, "mysql", o.Database}, o.Args...)
	return c.ExecTTY(ctx, o.Namespace, o.Pod, stack.MySQLContainer, command, stdin, stdout, stderr, o.Sizes)
}

// Script is the shell that starts the client. Its first argument is the
// database (empty: the account's default), the rest go to mysql. It writes
// the account's option file into a here-document on descriptor 3 (printf
// and the here-document are the shell's own, so the password is in no
// process's arguments) and replaces itself with mysql, which then gets
// Ctrl-C on a terminal as it would locally. The client speaks utf8mb4.
func Script(user string) (string, error) {
	var name, password, database string
	switch user {
	case "app":
		name, password, database = `$MYSQL_USER`, `$MYSQL_PASSWORD`, `$MYSQL_DATABASE`
	case "root":
		name, password = "root", `$MYSQL_ROOT_PASSWORD`
	default:
		return "", fmt.Errorf("--user %q is not a database account of the stack: use %s", user, strings.Join(Users, " or "))
	}
	return `set -e
db=${1:-` + database + `}
shift
pw=$(printf '%s' "` + password + `" | sed 's/[\\"]/\\&/g')
exec 3<<CNF
[client]
user=` + name + `
password="$pw"
default-character-set=utf8mb4
CNF
unset pw
if [ -n "$db" ]; then set -- "--database=$db" "$@"; fi
exec mysql --defaults-extra-file=/dev/fd/3 "$@"
`, nil
}

package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// ServerError is an error the MySQL server or its client reported, as the
// client printed it: `ERROR 1064 (42000) at line 2151: You have an error ...`.
// Line is the line of the client's input (the dump), 0 when not given.
type ServerError struct {
	Code    int
	State   string
	Line    int
	Message string
}

func (e *ServerError) Error() string {
	at := ""
	if e.Line > 0 {
		at = fmt.Sprintf(" at line %d", e.Line)
	}
	return fmt.Sprintf("ERROR %d (%s)%s: %s", e.Code, e.State, at, e.Message)
}

// clientSide: the client's own error (2000 to 2999: it could not connect,
// or lost the connection), not the server's refusal.
func (e *ServerError) clientSide() bool { return e.Code >= 2000 && e.Code < 3000 }

// lostServer: the client lost its server (CR_SERVER_GONE_ERROR,
// CR_SERVER_LOST), as it does when the server's pod goes away, or could
// not reach it at all (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR), as a
// parallel restore's next connection cannot once the server stopped.
func (e *ServerError) lostServer() bool {
	switch e.Code {
	case 2002, 2003, 2006, 2013:
		return true
	}
	return false
}

// clientError matches the mysql client's error line (MySQL's and MariaDB's).
var clientError = regexp.MustCompile(`ERROR (\d+) \(([0-9A-Z]{5})\)(?: at line (\d+))?: (.*)`)

// maxMessage bounds the server's message: a syntax error quotes the rest of
// its statement, which in a dump can be a whole table's rows.
const maxMessage = 300

// parseServerError finds the last error line of the client's stderr.
func parseServerError(stderr string) *ServerError {
	all := clientError.FindAllStringSubmatch(stderr, -1)
	if len(all) == 0 {
		return nil
	}
	m := all[len(all)-1]
	code, _ := strconv.Atoi(m[1])
	line, _ := strconv.Atoi(m[3])
	msg := strings.TrimSpace(m[4])
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return &ServerError{Code: code, State: m[2], Line: line, Message: msg}
}

// ExitError is a script in the database container that ended non-zero
// without a server error: its exit status and the last line it printed.
type ExitError struct {
	Pod     string
	Status  int
	Message string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("in %s: exit status %d: %s", e.Pod, e.Status, e.Message)
}

// StreamError is the exec connection to the database pod breaking while a
// script ran: the API server, the kubelet or the network cut it.
type StreamError struct {
	Pod string
	// Transferred is how many bytes went over it before it broke.
	Transferred int64
	// PodGone says the pod was deleted or replaced, or its database
	// container restarted, meanwhile.
	PodGone bool
	Err     error
}

func (e *StreamError) Error() string {
	// A script fed no stdin (a dump loaded in the pod) sends nothing: how
	// much it sent says nothing then.
	sent := ""
	if e.Transferred > 0 {
		sent = " after " + mebibytes(e.Transferred) + " had been sent"
	}
	if e.PodGone {
		return fmt.Sprintf("%s was deleted or restarted%s (%s)", e.Pod, sent, kube.OneLine(e.Err))
	}
	return fmt.Sprintf("the connection to %s dropped%s: %s", e.Pod, sent, kube.OneLine(e.Err))
}

func (e *StreamError) Unwrap() error { return e.Err }

func mebibytes(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// LocalError is this machine failing to read or write a file: a full disk,
// a permission, an I/O error. It unwraps to the *fs.PathError, and so to
// its errno (errors.Is(err, syscall.ENOSPC)).
type LocalError struct {
	Op  string
	Err error
}

func localError(op string, err error) *LocalError { return &LocalError{Op: op, Err: err} }

func (e *LocalError) Error() string {
	var pathErr *fs.PathError
	if errors.As(e.Err, &pathErr) {
		return fmt.Sprintf("cannot %s %s: %v", e.Op, pathErr.Path, pathErr.Err)
	}
	return fmt.Sprintf("cannot %s: %v", e.Op, e.Err)
}

func (e *LocalError) Unwrap() error { return e.Err }

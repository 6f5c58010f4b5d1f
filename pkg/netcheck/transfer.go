package netcheck

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// transferPort tells Galera's state transfer ports: a member listens on
// them only while it receives one, so a refusal there otherwise proves
// nothing either way (nothing listens, or a policy rejects).
func transferPort(port int32) bool {
	return port == stack.GaleraISTPort || port == stack.GaleraSSTPort
}

// listening is the line listenScript prints once the port takes
// connections.
const listening = "listening"

// listenScript holds a listener on port $0 (socat: the members' image has
// it for start.sh) until its stdin closes. A port a real transfer holds
// already is left to it: either way the port takes connections when the
// script says so, which it checks through the loopback device (which no
// policy filters) for up to 5 s.
const listenScript = `socat -u "TCP-LISTEN:$0,reuseaddr,fork" OPEN:/dev/null 2>/dev/null & l=$!
i=0
until timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$0" 2>/dev/null; do
  i=$((i + 1)); [ "$i" -lt 50 ] || { echo "nothing listens on $0"; exit 1; }; sleep 0.1
done
echo ` + listening + `
cat >/dev/null; kill "$l" 2>/dev/null; exit 0`

// listenIn starts listenScript in a member and waits until it listens; stop
// ends it.
func listenIn(ctx context.Context, c *kube.Clients, ns, pod string, port int32) (stop func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, tryTimeout)
	stdin, closeStdin := io.Pipe()
	ready := make(chan struct{})
	out := &resultWriter{mark: listening, done: func() { close(ready) }}
	done := make(chan error, 1)
	go func() {
		done <- c.Exec(ctx, ns, pod, stack.MySQLContainer, []string{"sh", "-c", listenScript, strconv.Itoa(int(port))}, stdin, out, out)
	}()
	stop = func() {
		closeStdin.Close()
		<-done
		cancel()
	}
	select {
	case <-ready:
		return stop, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("listening on %s:%d: %s%w", pod, port, strings.TrimSpace(out.String()), err)
	case <-time.After(tryTimeout):
		stop()
		return nil, fmt.Errorf("listening on %s:%d: no answer within %s", pod, port, tryTimeout)
	}
}

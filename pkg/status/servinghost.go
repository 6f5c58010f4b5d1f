package status

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// Limits of the live serving-host reads: one hung pod never stalls the table
// beyond PerPod, and all of them together end by Overall. Parallel bounds
// the reads in flight, in place of the client's rate limit, so a large tier
// neither waits in a queue nor floods the API server.
const (
	PerPod   = 2 * time.Second
	Overall  = 5 * time.Second
	Parallel = 32
	// NodeGiveUp is how many pods of one node must fail to be dialled
	// (not refused: no route at all) before its other pods are not tried.
	// The API server reads each pod from etcd before it dials, so asking
	// a hundred pods behind one broken route costs seconds for nothing.
	NodeGiveUp = 2
)

// hostReader reads serving-hosts and remembers which nodes' pod networks
// the API server cannot reach.
type hostReader struct {
	c  kubernetes.Interface
	ns string

	mu          sync.Mutex
	noRoute     map[string]int // node -> pods that could not be dialled
	unreachable []string       // "pod: reason", for the warning
}

// readServingHosts fills in the serving-host of every web pod with an IP.
func (r *Report) readServingHosts(ctx context.Context, c kubernetes.Interface, ns string) {
	ctx, cancel := context.WithTimeout(ctx, Overall)
	defer cancel()
	h := &hostReader{c: c, ns: ns, noRoute: map[string]int{}}
	var wg sync.WaitGroup
	slots := make(chan struct{}, Parallel)
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Component != stack.Web.Component || row.PodIP == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			h.read(ctx, row)
		}()
	}
	wg.Wait()
	for i := range r.Rows {
		r.checkServingHost(&r.Rows[i])
	}
	sort.Strings(h.unreachable)
	switch len(h.unreachable) {
	case 0:
	case 1:
		r.warn("%s did not answer %s", h.unreachable[0], stack.ServingHostPath)
	default:
		r.warn("%d web pods did not answer %s, first %s", len(h.unreachable), stack.ServingHostPath, h.unreachable[0])
	}
}

// read asks one pod, unless its node's pods have proved unroutable.
func (h *hostReader) read(ctx context.Context, row *Row) {
	h.mu.Lock()
	skip := h.noRoute[row.Node] >= NodeGiveUp
	h.mu.Unlock()
	var host string
	err := fmt.Errorf("not tried: the API server has no route to other pods on node %s", row.Node)
	if !skip {
		host, err = servingHost(ctx, h.c, h.ns, row.Pod)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		row.ServingHost = host
		return
	}
	if noRoute(err) {
		h.noRoute[row.Node]++
	}
	row.Flags = append(row.Flags, "unreachable")
	h.unreachable = append(h.unreachable, row.Pod+": "+err.Error())
}

// noRoute says whether the API server failed to open a connection to the pod
// for a reason of the network, not of the pod: a refused connection is the
// pod's own (nginx not listening yet), anything else while dialling is the
// route's.
func noRoute(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "dial tcp") && !strings.Contains(msg, "connection refused")
}

// checkServingHost flags a serving-host that is not the pod's own name.
func (r *Report) checkServingHost(row *Row) {
	if row.ServingHost != "" && row.ServingHost != row.Pod {
		row.Flags = append(row.Flags, "serving-host differs from pod name")
		r.warn("%s says its serving-host is %q", row.Pod, row.ServingHost)
	}
}

func servingHost(ctx context.Context, c kubernetes.Interface, ns, pod string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, PerPod)
	defer cancel()
	port := strconv.Itoa(stack.WebContainerPort)
	body, err := c.CoreV1().Pods(ns).ProxyGet("http", pod, port, stack.ServingHostPath, nil).DoRaw(ctx)
	if err != nil {
		// client-go words a proxy failure generically; the API server's
		// own Status in the body says what happened (the dial error).
		var st metav1.Status
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			return "", fmt.Errorf("%s", st.Message)
		}
		return "", fmt.Errorf("%s", kube.OneLine(err))
	}
	var got struct {
		ServingHost string `json:"servingHost"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return "", fmt.Errorf("not JSON: %v", err)
	}
	return got.ServingHost, nil
}

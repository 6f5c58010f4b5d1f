package node

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed coredns.yaml
var corednsManifest []byte

// deployCoreDNS applies CoreDNS and waits until it is ready to answer.
func (n *Node) deployCoreDNS(ctx context.Context) error {
	if err := n.kubectl(ctx, corednsManifest, "apply", "--server-side", "-f", "-"); err != nil {
		return err
	}
	return n.kubectl(ctx, nil, "-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=120s")
}

// kubectl runs the cluster's own kubectl as the admin.
func (n *Node) kubectl(ctx context.Context, stdin []byte, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(n.cfg.BinDir, "kubectl"), append([]string{"--kubeconfig", n.cp.Kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

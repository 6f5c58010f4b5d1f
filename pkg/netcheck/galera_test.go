package netcheck

import (
	"strings"
	"testing"

	"github.com/kubectl-stack/kubectl-stack/pkg/build"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// The HA overlays' policies keep the HA tier's promises: members reach each
// other on Galera's ports, the web tier does not; a single server has no
// such rows.
func TestGaleraPromises(t *testing.T) {
	for _, overlay := range build.EmbeddedOverlays() {
		objs, err := build.Load(overlay)
		if err != nil {
			t.Fatal(err)
		}
		s := &Scene{
			Web:      tier(stack.Namespace, stack.Web, "10.0.0.10"),
			MySQL:    tier(stack.Namespace, stack.Database, "10.0.0.20"),
			Policies: networkPolicies(t, objs),
		}
		if !strings.HasSuffix(overlay, "-ha") {
			if got := s.galeraChecks(); len(got) != 0 {
				t.Errorf("%s: %d Galera checks for a single server", overlay, len(got))
			}
			continue
		}
		peer := tier(stack.Namespace, stack.Database, "10.0.0.21")
		s.Peer = &peer
		checks := s.galeraChecks()
		if len(checks) != 2*len(stack.GaleraPorts) {
			t.Fatalf("%s: %d Galera checks, want %d", overlay, len(checks), 2*len(stack.GaleraPorts))
		}
		for _, c := range checks {
			if v := Evaluate(s.Policies, c.Conn); v.Allowed != c.Want {
				t.Errorf("%s: %s: allowed %v, want %v (%s)", overlay, c.Name, v.Allowed, c.Want, v.Reason)
			}
		}
	}
}

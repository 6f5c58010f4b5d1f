package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Rehearsal is what a backup would do, found without writing anything (a
// backup's --dry-run=server).
type Rehearsal struct {
	Namespace string   `json:"namespace"`
	Databases []string `json:"databases"`
	// Target is the file, or the location, the backup would write.
	Target string `json:"target"`
	// ID is the backup's in a location: the time it would begin.
	ID string `json:"id,omitempty"`
	// Prune is what the retention after it would keep and delete.
	Prune *Plan `json:"prune,omitempty"`
}

// Rehearse checks what a backup needs and writes nothing: the database pod
// ready, its user databases listed and, with a location, the store reached
// as the backup would reach it first (wrong credentials, a missing bucket,
// an endpoint out of reach). A file's folder is CheckTarget's.
func Rehearse(ctx context.Context, c *kube.Clients, ns, target string, loc location.Location) (*Rehearsal, error) {
	db, err := openDatabase(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	names, err := userDatabases(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	r := &Rehearsal{Namespace: ns, Databases: names, Target: target}
	if loc == nil {
		return r, nil
	}
	r.ID = time.Now().UTC().Format(idFormat)
	if _, err := readManifest(ctx, loc, r.ID); err != nil && !errors.Is(err, location.ErrNotFound) {
		return nil, fmt.Errorf("backup location %s: %w", loc, err)
	}
	return r, nil
}

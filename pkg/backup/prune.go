package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Retention says which complete backups a prune keeps: the newest Last,
// the newest of each of the last Daily days and of the last Weekly ISO
// weeks that have one (UTC). Whatever it says, the newest verified backup
// is kept when no other verified one would be.
type Retention struct {
	Last, Daily, Weekly int
}

// Validate refuses a retention that would keep nothing.
func (r Retention) Validate() error {
	for _, k := range []struct {
		flag string
		n    int
	}{{"--keep-last", r.Last}, {"--keep-daily", r.Daily}, {"--keep-weekly", r.Weekly}} {
		if k.n < 0 {
			return fmt.Errorf("%s %d: give a number of backups to keep, 1 or more", k.flag, k.n)
		}
	}
	if r.Last == 0 && r.Daily == 0 && r.Weekly == 0 {
		return errors.New("a prune that keeps no backup would delete them all: give --keep-last, --keep-daily or --keep-weekly of 1 or more")
	}
	return nil
}

// DefaultDebrisAge is how old an incomplete backup must be before a prune
// removes it: longer than the scheduled backup's deadline, so a backup
// under way is never taken for debris.
const DefaultDebrisAge = time.Hour

// Plan is what a prune keeps and deletes.
type Plan struct {
	Keep []string `json:"keep"`
	// Delete are complete backups outside the retention.
	Delete []string `json:"delete"`
	// Debris are incomplete backups (no manifest) older than the debris
	// age, and unfinished uploads.
	Debris []string `json:"debris"`
	DryRun bool     `json:"dryRun"`
}

// keep applies the retention to complete backups, oldest first.
func (r Retention) keep(backups []Entry) map[string]bool {
	kept := map[string]bool{}
	var complete []Entry
	for _, b := range backups {
		if b.Complete() {
			complete = append(complete, b)
		}
	}
	buckets := []struct {
		n   int
		key func(time.Time) string
	}{
		{r.Last, func(t time.Time) string { return t.Format(time.RFC3339Nano) }},
		{r.Daily, func(t time.Time) string { return t.Format(time.DateOnly) }},
		{r.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }},
	}
	for _, b := range buckets {
		seen := map[string]bool{}
		for i := len(complete) - 1; i >= 0 && len(seen) < b.n; i-- {
			k := b.key(complete[i].Manifest.Started.UTC())
			if !seen[k] {
				seen[k] = true
				kept[complete[i].ID] = true
			}
		}
	}
	for i := len(complete) - 1; i >= 0; i-- {
		if complete[i].Verified() {
			if !keptVerified(complete, kept) {
				kept[complete[i].ID] = true
			}
			break
		}
	}
	return kept
}

func keptVerified(complete []Entry, kept map[string]bool) bool {
	for _, b := range complete {
		if kept[b.ID] && b.Verified() {
			return true
		}
	}
	return false
}

// PlanPrune decides what a prune removes: complete backups outside the
// retention, and incomplete ones last written before debrisBefore (a
// backup under way has no manifest yet either). Backups whose manifest
// this plugin cannot read are left alone.
func PlanPrune(cat *Catalog, r Retention, debrisBefore time.Time) *Plan {
	kept := r.keep(cat.Backups)
	p := &Plan{Keep: []string{}, Delete: []string{}, Debris: []string{}}
	for _, b := range cat.Backups {
		switch {
		case kept[b.ID]:
			p.Keep = append(p.Keep, b.ID)
		case b.Complete():
			p.Delete = append(p.Delete, b.ID)
		case b.Problem == noManifest && b.Modified.Before(debrisBefore):
			p.Debris = append(p.Debris, b.ID)
		}
	}
	return p
}

// Prune carries out a plan: it removes the backups' objects (the manifest
// first, so a backup half-deleted is incomplete, never a damaged
// restorable one) and unfinished uploads begun before debrisBefore.
func Prune(ctx context.Context, loc location.Location, cat *Catalog, p *Plan, debrisBefore time.Time) error {
	byID := map[string]Entry{}
	for _, b := range cat.Backups {
		byID[b.ID] = b
	}
	for _, id := range append(append([]string{}, p.Delete...), p.Debris...) {
		if err := loc.Delete(ctx, []string{id + "/" + manifestName}); err != nil {
			return fmt.Errorf("deleting backup %s: %w", id, err)
		}
		if err := loc.Delete(ctx, byID[id].keys); err != nil {
			return fmt.Errorf("deleting backup %s: %w", id, err)
		}
	}
	swept, err := loc.Sweep(ctx, debrisBefore)
	p.Debris = append(p.Debris, swept...)
	return err
}

// PruneOptions say how a prune runs.
type PruneOptions struct {
	Retention Retention
	// DebrisAge: incomplete backups last written longer ago are removed.
	DebrisAge time.Duration
	DryRun    bool
	// Upcoming is the ID of a backup a dry run counts as written: the plan
	// is then the one the prune after that backup would make.
	Upcoming string
}

// ApplyRetention is a prune from start to end: it lists the location, plans
// what the retention keeps and, unless a dry run, deletes the rest with
// the incomplete backups older than the debris age.
func ApplyRetention(ctx context.Context, loc location.Location, o PruneOptions) (*Plan, error) {
	cat, err := List(ctx, loc)
	if err != nil {
		return nil, err
	}
	if o.Upcoming != "" {
		cat.Backups = append(cat.Backups, Entry{ID: o.Upcoming, Manifest: &Manifest{ID: o.Upcoming, Started: time.Now().UTC()}})
	}
	before := time.Now().Add(-o.DebrisAge)
	plan := PlanPrune(cat, o.Retention, before)
	plan.DryRun = o.DryRun
	if o.DryRun {
		return plan, nil
	}
	return plan, Prune(ctx, loc, cat, plan, before)
}

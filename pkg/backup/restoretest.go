package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// RestoreTestOptions say which stack's database image a restore test
// runs, and where a backup is fetched to.
type RestoreTestOptions struct {
	Namespace   string
	Location    location.Location
	DownloadDir string
	Progress    io.Writer
}

// FailedTestError is a backup whose restore test failed: its verdict says
// why and was written next to its manifest.
type FailedTestError struct{ Verdict *Verdict }

func (e *FailedTestError) Error() string {
	return fmt.Sprintf("backup %s failed its restore test: %s", e.Verdict.ID, e.Verdict.Message)
}

// TestRestore restores a backup into a throwaway database server and
// compares every table's row count and CHECKSUM TABLE with the manifest.
// The verdict goes next to the manifest. The server's namespace is removed
// afterwards, also after a failure or Ctrl-C.
func TestRestore(ctx context.Context, c *kube.Clients, e *Entry, o RestoreTestOptions) (*Verdict, error) {
	verdict := &Verdict{ID: e.ID}
	d, err := Fetch(ctx, o.Location, e, o.DownloadDir)
	var tampered *TamperedError
	if errors.As(err, &tampered) {
		return verdict, judge(ctx, o.Location, verdict, []string{err.Error()})
	}
	if err != nil {
		return nil, err
	}
	defer Discard(d.Path)
	s, err := newScratch(ctx, c, o.Namespace, e.ID, e.Manifest.Data.DumpBytes, o.Progress)
	if s != nil {
		defer func() {
			if rerr := s.remove(); rerr != nil {
				fmt.Fprintf(o.Progress, "warning: %v\n", rerr)
			}
		}()
	}
	if err != nil {
		return nil, err
	}
	db, err := openDatabase(ctx, c, s.ns)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "restoring backup %s into it ...\n", e.ID)
	if err := load(ctx, db, d); err != nil {
		return verdict, judge(ctx, o.Location, verdict, []string{"the restore failed: " + err.Error()})
	}
	got, _, err := snapshot(ctx, db, e.Manifest.DatabaseNames())
	if err != nil {
		return nil, fmt.Errorf("reading the restored tables: %w", err)
	}
	return verdict, judge(ctx, o.Location, verdict, compare(e.Manifest.Databases, got))
}

// compare lists every table whose rows or checksum differ, or that one
// side lacks.
func compare(want, got []Database) []string {
	index := map[string]Table{}
	for _, d := range got {
		for _, t := range d.Tables {
			index[d.Name+"."+t.Name] = t
		}
	}
	var diffs []string
	for _, d := range want {
		for _, t := range d.Tables {
			name := d.Name + "." + t.Name
			g, ok := index[name]
			switch {
			case !ok:
				diffs = append(diffs, name+" is missing")
			case g.Rows != t.Rows:
				diffs = append(diffs, fmt.Sprintf("%s has %d rows, the manifest says %d", name, g.Rows, t.Rows))
			case g.Checksum != t.Checksum:
				diffs = append(diffs, fmt.Sprintf("%s has checksum %s, the manifest says %s", name, g.Checksum, t.Checksum))
			}
			delete(index, name)
		}
	}
	for name := range index {
		diffs = append(diffs, name+" is not in the manifest")
	}
	return diffs
}

// judge writes the verdict next to the manifest: passed when nothing
// differs.
func judge(ctx context.Context, loc location.Location, v *Verdict, diffs []string) error {
	v.Tested, v.Passed = time.Now().UTC(), len(diffs) == 0
	v.Message = "every table's rows and CHECKSUM TABLE match the manifest"
	if !v.Passed {
		v.Message = strings.Join(diffs, "; ")
	}
	if err := writeJSON(ctx, loc, v.ID+"/"+verdictName, v); err != nil {
		return fmt.Errorf("writing the verdict of backup %s: %w", v.ID, err)
	}
	if !v.Passed {
		return &FailedTestError{Verdict: v}
	}
	return nil
}

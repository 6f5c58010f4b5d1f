package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// safetyCopy is a verified dump of the databases a restore replaces, as
// they were before it. Path is empty when none of them existed.
type safetyCopy struct {
	Path      string
	Databases []string
}

// DefaultSafetyDir is where safety copies go: the user's state folder.
func DefaultSafetyDir() string {
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" {
		home, _ := os.UserHomeDir()
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "kubectl-stack", "safety-copies")
}

// takeSafetyCopy dumps those of the dump's databases that the server has,
// into o.SafetyDir, and reads the file back to verify it.
func takeSafetyCopy(ctx context.Context, c *kube.Clients, db *database, d *Dump, o RestoreOptions) (*safetyCopy, error) {
	existing, err := existingDatabases(ctx, db, d.Databases)
	if err != nil {
		return nil, fmt.Errorf("reading which databases exist: %w; nothing was changed", err)
	}
	if len(existing) == 0 {
		fmt.Fprintf(o.Progress, "no safety copy needed: the server has none of %s\n", strings.Join(d.Databases, ", "))
		return &safetyCopy{}, nil
	}
	if err := os.MkdirAll(o.SafetyDir, 0o700); err != nil {
		return nil, fmt.Errorf("the safety copy cannot be written: %w; nothing was changed", localError("create", err))
	}
	path := filepath.Join(o.SafetyDir, fmt.Sprintf("%s-%s.sql.gz", o.Namespace, time.Now().UTC().Format("20060102T150405.000Z")))
	fmt.Fprintf(o.Progress, "taking a safety copy of %s ...\n", strings.Join(existing, ", "))
	res, err := Backup(ctx, c, Options{Namespace: o.Namespace, Path: path, Compression: Gzip, Databases: existing})
	if err != nil {
		return nil, fmt.Errorf("the safety copy failed, nothing was changed: %w", err)
	}
	if _, err := Verify(path); err != nil {
		return nil, fmt.Errorf("the safety copy does not read back, nothing was changed: %w", err)
	}
	fmt.Fprintf(o.Progress, "safety copy: %s (%s)\n", path, mebibytes(res.Size))
	return &safetyCopy{Path: path, Databases: existing}, nil
}

func existingDatabases(ctx context.Context, db *database, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := query(ctx, db, "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ("+sqlStrings(names)+")")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out, nil
}

func (s *safetyCopy) remove() error {
	if s.Path == "" {
		return nil
	}
	return errors.Join(os.Remove(s.Path), os.Remove(ChecksumPath(s.Path)))
}

// RestoreError is a restore that failed: Cause is why; PutBack says the
// databases were put back as they were from the safety copy (or dropped,
// those the restore created); else PutBackErr says why not.
type RestoreError struct {
	Cause      error
	PutBack    bool
	PutBackErr error
	SafetyCopy string
	Namespace  string
}

func (e *RestoreError) Error() string {
	kept := "no safety copy was needed"
	if e.SafetyCopy != "" {
		kept = "the safety copy stays in " + e.SafetyCopy
	}
	if e.PutBack {
		return fmt.Sprintf("restore failed, nothing was changed: %s; the databases were put back as they were (%s)", e.Cause, kept)
	}
	again := "drop the dump's databases once the database is ready"
	if e.SafetyCopy != "" {
		again = fmt.Sprintf("once the database is ready, run `kubectl stack restore %s --yes -n %s`", e.SafetyCopy, e.Namespace)
	}
	return fmt.Sprintf("restore failed: %s; putting the databases back failed too: %s; %s; %s", e.Cause, e.PutBackErr, kept, again)
}

func (e *RestoreError) Unwrap() error { return e.Cause }

// rollBack puts the databases back after a failed restore: it waits for the
// database pod (it may be starting again), ends the sessions that use the
// dump's databases (the failed restore's client among them, if it still
// runs), drops those databases and loads the safety copy.
func rollBack(c *kube.Clients, d *Dump, safety *safetyCopy, o RestoreOptions, cause error) error {
	ctx, cancel := o.rollbackContext()
	defer cancel()
	fmt.Fprintf(o.Progress, "restore failed: %s\nputting back %s as they were (Ctrl-C leaves them as they are now) ...\n",
		cause, strings.Join(d.Databases, ", "))
	rerr := &RestoreError{Cause: cause, SafetyCopy: safety.Path, Namespace: o.Namespace}
	err := retryPutBack(ctx, c, d, safety, o)
	rerr.PutBack, rerr.PutBackErr = err == nil, err
	return rerr
}

// retryPutBack puts the databases back, again after a connection that
// broke on the way (a kubelet, API server or database server coming back):
// each try drops and loads everything afresh. The server refusing the
// safety copy, or this machine failing to read it, ends it.
func retryPutBack(ctx context.Context, c *kube.Clients, d *Dump, safety *safetyCopy, o RestoreOptions) error {
	for {
		db, err := waitDatabase(ctx, c, o)
		if err != nil {
			return err
		}
		err = endSessions(ctx, db, d.Databases, o.Progress)
		if err == nil {
			err = putBack(ctx, db, d, safety)
		}
		var server *ServerError
		var local *LocalError
		refused := errors.As(err, &server) && !server.clientSide()
		if err == nil || refused || errors.As(err, &local) || ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(o.Progress, "putting back failed, trying again: %s\n", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(2 * time.Second):
		}
	}
}

func (o RestoreOptions) rollbackContext() (context.Context, context.CancelFunc) {
	if o.RollbackContext != nil {
		return o.RollbackContext()
	}
	return context.WithTimeout(context.Background(), 10*time.Minute)
}

// waitDatabase waits until the database pod is ready, saying so once.
func waitDatabase(ctx context.Context, c *kube.Clients, o RestoreOptions) (*database, error) {
	said := false
	for {
		db, err := openDatabase(ctx, c, o.Namespace)
		if err == nil {
			return db, nil
		}
		if !said {
			fmt.Fprintf(o.Progress, "waiting for the database: %s\n", err)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the database is not ready: %w", kube.Explain(ctx.Err()))
		case <-time.After(time.Second):
		}
	}
}

func putBack(ctx context.Context, db *database, d *Dump, safety *safetyCopy) error {
	var dump io.Reader = strings.NewReader("")
	if safety.Path != "" {
		f, err := os.Open(safety.Path)
		if err != nil {
			return localError("open", err)
		}
		defer f.Close()
		gz, err := Gzip.decompressor(f)
		if err != nil {
			return fmt.Errorf("%s: %w", safety.Path, err)
		}
		defer gz.Close()
		dump = gz
	}
	return feed(ctx, db, rollbackScript, io.MultiReader(strings.NewReader(dropDatabases(d.Databases)), dump, strings.NewReader(doneQuery)))
}

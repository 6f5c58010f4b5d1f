package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-stack/kubectl-stack/pkg/location"
)

// Entry is one backup in a location: complete when it has a readable
// manifest, else incomplete (Problem says why) and never restored.
type Entry struct {
	ID       string    `json:"id"`
	Manifest *Manifest `json:"manifest,omitempty"`
	Verdict  *Verdict  `json:"verdict,omitempty"`
	// Bytes is what its objects take in the location.
	Bytes    int64     `json:"bytes"`
	Modified time.Time `json:"modified"`
	Problem  string    `json:"problem,omitempty"`
	// keys are its objects.
	keys []string
}

// Complete says the backup can be restored.
func (e *Entry) Complete() bool { return e.Manifest != nil }

// Verified says its last restore test passed.
func (e *Entry) Verified() bool { return e.Verdict != nil && e.Verdict.Passed }

// Catalog is what a location holds, oldest first.
type Catalog struct {
	Location string  `json:"location"`
	Backups  []Entry `json:"backups"`
}

var idPattern = regexp.MustCompile(`^\d{8}T\d{6}\.\d{3}Z$`)

// List reads a location's backups: every folder named like a backup ID,
// its manifest and its verdict. Other objects are not ours and are left
// alone.
func List(ctx context.Context, loc location.Location) (*Catalog, error) {
	objects, err := loc.List(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Entry{}
	for _, obj := range objects {
		id, _, ok := strings.Cut(obj.Key, "/")
		if !ok || !idPattern.MatchString(id) {
			continue
		}
		e := byID[id]
		if e == nil {
			e = &Entry{ID: id}
			byID[id] = e
		}
		e.keys = append(e.keys, obj.Key)
		e.Bytes += obj.Size
		if obj.Modified.After(e.Modified) {
			e.Modified = obj.Modified
		}
	}
	cat := &Catalog{Location: loc.String()}
	for _, e := range byID {
		if err := e.read(ctx, loc); err != nil {
			return nil, err
		}
		cat.Backups = append(cat.Backups, *e)
	}
	sort.Slice(cat.Backups, func(i, j int) bool { return cat.Backups[i].ID < cat.Backups[j].ID })
	return cat, nil
}

// read reads the entry's manifest and verdict; a missing or unreadable
// manifest makes the entry incomplete, a store failure is an error.
func (e *Entry) read(ctx context.Context, loc location.Location) error {
	m, err := readManifest(ctx, loc, e.ID)
	var newer *NewerFormatError
	switch {
	case errors.Is(err, location.ErrNotFound):
		e.Problem = noManifest
		return nil
	case errors.As(err, &newer):
		e.Problem = err.Error()
		return nil
	case errors.As(err, new(*damagedError)):
		e.Problem = err.Error()
		return nil
	case err != nil:
		return err
	}
	e.Manifest = m
	e.Verdict, err = readVerdict(ctx, loc, e.ID)
	if errors.Is(err, location.ErrNotFound) {
		return nil
	}
	return err
}

// Find picks a complete backup by ID, or the newest with "latest".
func (c *Catalog) Find(id string) (*Entry, error) {
	hint := fmt.Sprintf("`kubectl stack backups --from %s` lists them", c.Location)
	if id == "latest" {
		for i := len(c.Backups) - 1; i >= 0; i-- {
			if c.Backups[i].Complete() {
				return &c.Backups[i], nil
			}
		}
		return nil, fmt.Errorf("no complete backup in %s: take one with `kubectl stack backup --to %s`", c.Location, c.Location)
	}
	for i := range c.Backups {
		if e := &c.Backups[i]; e.ID == id {
			if !e.Complete() {
				return nil, fmt.Errorf("backup %s in %s cannot be restored: %s", id, c.Location, e.Problem)
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("no backup %s in %s: %s", id, c.Location, hint)
}

// damagedError is a manifest that does not read.
type damagedError struct{ error }

func readManifest(ctx context.Context, loc location.Location, id string) (*Manifest, error) {
	data, err := readSmall(ctx, loc, id+"/"+manifestName)
	if err != nil {
		return nil, err
	}
	m, err := decodeManifest(id, data)
	var newer *NewerFormatError
	if err != nil && !errors.As(err, &newer) {
		return nil, &damagedError{err}
	}
	return m, err
}

// readSmall reads a small object whole (a manifest, a verdict).
func readSmall(ctx context.Context, loc location.Location, key string) ([]byte, error) {
	r, err := loc.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", key, loc, err)
	}
	return data, nil
}

func writeJSON(ctx context.Context, loc location.Location, key string, v any) error {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = loc.Put(ctx, key, strings.NewReader(string(body)+"\n"))
	return err
}

// noManifest is the problem of a backup that never finished.
const noManifest = "no manifest: an unfinished or failed backup"

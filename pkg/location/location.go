// Package location stores backups: in a local folder or under a prefix of
// an S3-compatible bucket. Both give the same small set of operations on
// keys relative to the location, and both make an object visible only
// whole (a rename locally, a completed upload in S3), so a reader never
// sees half of one. It knows nothing of MySQL or cobra.
package location

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Object is one stored object, its key relative to the location.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Location is where backups are kept.
type Location interface {
	// String is the location as the user names it.
	String() string
	// Put stores r under key, streaming it; the object appears only once
	// all of r was stored. It returns the bytes stored. A reader that
	// knows its length (bytes.Reader, strings.Reader) is sent as it is,
	// without the buffers of a streamed upload.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Get opens the object; a missing one is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List lists every object under the location, at any depth.
	List(ctx context.Context) ([]Object, error)
	// Delete removes the objects; missing ones are no error.
	Delete(ctx context.Context, keys []string) error
	// Sweep removes unfinished uploads begun before the time (what a
	// killed backup or a store that died mid-upload left) and returns
	// what it removed.
	Sweep(ctx context.Context, before time.Time) ([]string, error)
}

// ErrNotFound is an object that is not there.
var ErrNotFound = errors.New("not found")

// S3Options say how to reach an S3-compatible store. Credentials are never
// among them: they come from the AWS environment and files.
type S3Options struct {
	// Endpoint is the store's URL, http:// or https://.
	Endpoint string
	Region   string
	// PathStyle addresses the bucket in the path, not the host name, as
	// most S3-compatible servers need.
	PathStyle bool
	// CAFile is a PEM bundle the store's certificate is checked against.
	CAFile string
	// PartSize is the size of an upload's parts in MiB (S3: 5 or more);
	// 0 is 16. Four parts are in flight: the upload's memory.
	PartSizeMiB int
}

// Parse reads a location: s3://BUCKET[/PREFIX] or a local folder (a path,
// or file:///path).
func Parse(raw string, s3 S3Options) (Location, error) {
	switch {
	case raw == "":
		return nil, errors.New("no backup location: name a folder or s3://BUCKET/PREFIX")
	case strings.HasPrefix(raw, "s3://"):
		return newS3(raw, s3)
	case strings.HasPrefix(raw, "file://"):
		return newLocal(strings.TrimPrefix(raw, "file://"))
	case strings.Contains(raw, "://"):
		return nil, fmt.Errorf("backup location %q: only s3:// and local folders are supported", raw)
	}
	return newLocal(raw)
}

package location

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/minio/minio-go/v7"
)

// StoreError is an object store's failure, its cause named and kept.
type StoreError struct {
	// Op is what was being done ("uploading ID/dump.sql.gz").
	Op    string
	Store string
	// Reason says in words what went wrong, and what fixes it.
	Reason string
	Err    error
}

func (e *StoreError) Error() string {
	return fmt.Sprintf("%s at %s: %s", e.Op, e.Store, e.Reason)
}

func (e *StoreError) Unwrap() error { return e.Err }

// explain names the cause of an object store's error: the user's Ctrl-C,
// an endpoint out of reach, the store refusing the credentials, a missing
// bucket or object, or else the store's own message.
func (s *s3) explain(ctx context.Context, op string, err error) error {
	e := &StoreError{Op: op, Store: s.String(), Err: err}
	resp := minio.ToErrorResponse(err)
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.Reason, e.Err = "interrupted", errors.Join(ctx.Err(), err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Reason, e.Err = "timed out", errors.Join(ctx.Err(), err)
	case resp.Code == minio.NoSuchBucket:
		e.Reason = fmt.Sprintf("bucket %q does not exist: create it, or name another bucket", s.bucket)
	case resp.Code == minio.NoSuchKey:
		e.Reason, e.Err = "no such object", errors.Join(ErrNotFound, err)
	case resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" || resp.Code == minio.AccessDenied:
		e.Reason = fmt.Sprintf("the store refused the credentials (%s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE", resp.Message)
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial":
		e.Reason = fmt.Sprintf("cannot reach the object store %s: %v; check --s3-endpoint (or AWS_ENDPOINT_URL) and that the store runs", s.endpoint, err)
	case errors.As(err, &netErr):
		e.Reason = fmt.Sprintf("the connection to %s broke: %v", s.endpoint, err)
	case resp.Code != "":
		e.Reason = fmt.Sprintf("the store said %s: %s", resp.Code, resp.Message)
	default:
		e.Reason = err.Error()
	}
	return e
}

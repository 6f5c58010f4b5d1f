package backup

import (
	"context"

	"github.com/kubectl-stack/kubectl-stack/pkg/kube"
)

// Verifying is a dump being verified (Verify) in the background, so that a
// restore readies the pod meanwhile: reading a 200 MB dump through takes
// as long as copying it into the pod.
type Verifying struct {
	Path string
	done chan struct{}
	dump *Dump
	err  error
}

// StartVerify verifies the file at path in the background.
func StartVerify(path string) *Verifying {
	v := &Verifying{Path: path, done: make(chan struct{})}
	go func() {
		defer close(v.done)
		v.dump, v.err = Verify(path)
	}()
	return v
}

// Verified is a dump verified already, as Fetch returns it.
func Verified(d *Dump) *Verifying {
	v := &Verifying{Path: d.Path, done: make(chan struct{}), dump: d}
	close(v.done)
	return v
}

// Wait returns the verified dump, or why the file is not one.
func (v *Verifying) Wait(ctx context.Context) (*Dump, error) {
	select {
	case <-v.done:
		return v.dump, v.err
	case <-ctx.Done():
		return nil, kube.Explain(ctx.Err())
	}
}

// Before returns the file's own error in place of err, an error met
// meanwhile: a damaged file is what to fix first.
func (v *Verifying) Before(ctx context.Context, err error) error {
	if _, verr := v.Wait(ctx); verr != nil {
		return verr
	}
	return err
}

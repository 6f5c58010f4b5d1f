package front

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kubectl-stack/kubectl-stack/pkg/images"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// push is `images push` of whole references (with a tag or a digest): no
// overlay to build, so no Kubernetes package is needed.
type push struct {
	to, from, archive string
	refs              []string
}

// parsePush recognises `images push --to R [--from R] [--archive F] REF...`
// with valid registries and whole references, flags as --flag value or
// --flag=value; anything else (another flag, a short name that needs the
// overlay, a bad value) is the verbs binary's to parse and explain.
func parsePush(args []string) (push, bool) {
	var p push
	if len(args) < 2 || args[0] != "images" || args[1] != "push" {
		return p, false
	}
	for i := 2; i < len(args); i++ {
		a := args[i]
		name, value, inline := strings.Cut(a, "=")
		dst := map[string]*string{"--to": &p.to, "--from": &p.from, "--archive": &p.archive}[name]
		switch {
		case dst != nil && inline:
			*dst = value
		case dst != nil && i+1 < len(args):
			i++
			*dst = args[i]
		case dst != nil || strings.HasPrefix(a, "-"):
			return p, false
		default:
			p.refs = append(p.refs, a)
		}
	}
	return p, p.valid()
}

// valid checks what the verbs binary's Validate checks, normalising the
// registries as it does, and that every reference is whole.
func (p *push) valid() bool {
	if p.to == "" || p.from == "" && p.archive == "" || len(p.refs) == 0 {
		return false
	}
	for _, r := range p.refs {
		if ref, err := images.Parse(r); err != nil || ref.Tag == "" && ref.Digest == "" {
			return false
		}
	}
	var err error
	if p.to, err = images.ParseRegistry(p.to); err != nil {
		return false
	}
	if p.from != "" {
		if p.from, err = images.ParseRegistry(p.from); err != nil {
			return false
		}
	}
	return true
}

// run pushes and prints what was pushed, as the verbs binary does.
func (p push) run(ctx context.Context, s Streams) int {
	var archive *images.Archive
	if p.archive != "" {
		var err error
		if archive, err = images.OpenArchive(p.archive); err != nil {
			return fail(s, err)
		}
		defer archive.Close()
	}
	pushed, err := images.Push(ctx, images.PushOptions{
		Images: p.refs, Archive: archive, From: p.from, To: p.to,
		Keychain: authn.DefaultKeychain, Progress: s.ErrOut,
	})
	if err != nil && len(pushed) == 0 {
		return fail(s, err)
	}
	if perr := images.PrintPushed(s.Out, pushed, table.Options{}); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fail(s, err)
	}
	return ExitOK
}

func fail(s Streams, err error) int {
	fmt.Fprintf(s.ErrOut, "error: %v\n", err)
	return ExitFailure
}

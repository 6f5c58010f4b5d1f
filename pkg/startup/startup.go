// Package startup keeps work off every verb's start-up that no verb needs
// there. The main package imports it for effect, first of its own: Go
// initialises packages in import path order once their imports are ready,
// and this one, under github.com, comes before every k8s.io and sigs.k8s.io
// package, which do most of the initialising (the test of the main package
// keeps that true).
//
//   - kubectl's command packages translate their help as they initialise,
//     and the first translation unzips and parses a message catalogue: a
//     third of `kubectl stack version`'s time, for help text the plugin
//     never shows (its own is in English only). kubectl documents this way
//     of replacing its loader (i18n.SetLoadTranslationsFunc).
//   - The packages' initialisation allocates about 10 MB and keeps most of
//     it (API schemes, parsers' tables): collecting on the way is wasted.
//     A verb's short life is the same, mostly Kustomize's schema parse and
//     the clients' set-up, which allocate much and keep little; so the
//     collector waits until the heap reaches gcLimit, and a command that
//     runs long (--watch, -f) still collects then.
package startup

import (
	"os"
	"runtime/debug"

	"k8s.io/kubectl/pkg/util/i18n"
)

// gcLimit is the heap at which the garbage collector starts, unless GOGC or
// GOMEMLIMIT says otherwise (docs/benchmarks.md measures the difference).
const gcLimit = 128 << 20

// Untranslated says kubectl's loader was replaced before anything
// translated.
var Untranslated bool

func init() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(gcLimit)
	}
	// Loading nothing leaves every string as kubectl wrote it, in English.
	Untranslated = i18n.SetLoadTranslationsFunc(func() error { return nil }) == nil
}

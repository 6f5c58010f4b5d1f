// Package version holds the build's version, set by the linker:
//
//	-ldflags "-X github.com/kubectl-stack/kubectl-stack/pkg/version.Version=v0.1.0"
//
// A binary built by `go install ...@vX.Y.Z` has no such flag; it reports
// the module version Go recorded in it instead.
package version

import "runtime/debug"

// unset is Version when the linker did not set it.
const unset = "v0.0.0-dev"

// Version is the release this binary was built from.
var Version = unset

// Commit is the source revision, when the build knows it.
var Commit = "unknown"

func init() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if Version == unset && info.Main.Version != "" && info.Main.Version != "(devel)" {
		Version = info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && Commit == "unknown" {
			Commit = s.Value
		}
	}
}

// Line is how `kubectl stack version` prints the version.
func Line() string { return "kubectl-stack " + Version + " (commit " + Commit + ")" }

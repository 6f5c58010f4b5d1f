// Package version holds the build's version, set by the linker:
//
//	-ldflags "-X github.com/kubectl-stack/kubectl-stack/pkg/version.Version=v0.1.0"
package version

// Version is the release this binary was built from.
var Version = "v0.0.0-dev"

// Commit is the source revision, when the build knows it.
var Commit = "unknown"

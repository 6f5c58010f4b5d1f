// Package kubectlstack embeds the stack's manifests so the plugin can build
// and apply an overlay with no checkout of this repository.
package kubectlstack

import "embed"

// Manifests holds base/ and overlays/ exactly as they are in the repository.
//
//go:embed base overlays
var Manifests embed.FS

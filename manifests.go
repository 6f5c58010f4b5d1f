// Package kubectlstack embeds the stack's manifests so the plugin can build
// and apply an overlay with no checkout of this repository.
package kubectlstack

import "embed"

// Manifests holds base/, overlays/ and components/ exactly as they are in the repository.
//
//go:embed base overlays components
var Manifests embed.FS

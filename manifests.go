// Package kubectlstack embeds the stack's manifests so the plugin can build
// and apply an overlay with no checkout of this repository.
package kubectlstack

import "embed"

// Manifests holds base/, overlays/, components/ and params/ exactly as they are in the repository.
//
//go:embed base overlays components params
var Manifests embed.FS

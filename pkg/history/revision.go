// Package history keeps the stack's releases as numbered revisions in the
// cluster, the way Helm 3 keeps releases: one Secret of a dedicated type per
// revision in the stack's namespace, holding who applied what from where,
// the rendered objects compressed, and the apply's outcome. The Secrets
// carry none of the ApplySet's labels, so apply never counts or prunes them.
package history

import (
	"fmt"
	"strconv"
	"time"
)

// Status is how a revision's apply ended.
type Status string

// The statuses history shows.
const (
	Applied    Status = "applied"
	Failed     Status = "failed"
	RolledBack Status = "rolled back"
)

// Changes counts what the revision's apply did.
type Changes struct {
	Created    int `json:"created"`
	Configured int `json:"configured"`
	Unchanged  int `json:"unchanged"`
	Pruned     int `json:"pruned"`
	Kept       int `json:"kept,omitempty"`
}

// Any says the apply changed something.
func (c Changes) Any() bool { return c.Created+c.Configured+c.Pruned+c.Kept > 0 }

func (c Changes) String() string {
	return fmt.Sprintf("%d created, %d configured, %d pruned", c.Created, c.Configured, c.Pruned)
}

// Revision is one recorded apply. Objects are the rendered objects as the
// overlay built them, before the ApplySet's labels.
type Revision struct {
	Number        int       `json:"revision"`
	Time          time.Time `json:"time"`
	User          string    `json:"user"`
	PluginVersion string    `json:"pluginVersion"`
	Source        string    `json:"source"`
	Digest        string    `json:"digest"`
	// Description says what made the revision: "apply", "rollback to 3".
	Description string  `json:"description"`
	Changes     Changes `json:"changes"`
	Status      Status  `json:"status"`
	// Error is why a failed apply failed.
	Error   string `json:"error,omitempty"`
	Objects []byte `json:"-"`
}

// SecretName names revision n's Secret.
func SecretName(n int) string { return secretPrefix + strconv.Itoa(n) }

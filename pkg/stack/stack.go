// Package stack is the one place in Go that knows the stack's names, labels
// and ports. The manifests under base/ and overlays/ say the same; the tests
// in this package keep the two in step.
package stack

import (
	"fmt"
	"strings"
)

// Namespace is where every namespaced object of the stack lives.
const Namespace = "k8s-assignment"

// Instance is the app.kubernetes.io/instance value every object carries.
const Instance = "kubectl-stack"

// DefaultOverlay is what the plugin applies when no -k is given.
const DefaultOverlay = "overlays/dev"

// ApplySetParent names the Secret that records the stack's ApplySet (KEP-3659).
const ApplySetParent = "kubectl-stack"

// FieldManager is the server-side apply field manager of every applied object.
const FieldManager = "kubectl-stack"

// Recommended label keys.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
)

// DatabaseNodeLabel marks the node the database prefers (dev) or needs (prod).
const DatabaseNodeLabel = "kubectl-stack.io/database"

// Component describes one tier of the stack.
type Component struct {
	// Name is the app.kubernetes.io/name label and the workload's name.
	Name string
	// Kind is the workload's kind.
	Kind string
	// Component is the app.kubernetes.io/component label.
	Component string
}

// The stack's three tiers.
var (
	Web      = Component{Name: "web", Kind: "Deployment", Component: "web"}
	Database = Component{Name: "mysql", Kind: "StatefulSet", Component: "database"}
	Watcher  = Component{Name: "watcher", Kind: "DaemonSet", Component: "watcher"}
)

// Components lists the tiers in the order status shows them.
var Components = []Component{Web, Database, Watcher}

// Tiers are the tiers' names as verbs take them (restart, logs): each
// Component's app.kubernetes.io/component value.
func Tiers() []string {
	out := make([]string, 0, len(Components))
	for _, c := range Components {
		out = append(out, c.Component)
	}
	return out
}

// Tier finds the tier a verb's argument names.
func Tier(name string) (Component, error) {
	for _, c := range Components {
		if c.Component == name {
			return c, nil
		}
	}
	return Component{}, fmt.Errorf("%q is not a tier of the stack: use one of %s", name, strings.Join(Tiers(), ", "))
}

// Selector returns the labels that select the component's pods.
func (c Component) Selector() map[string]string {
	return map[string]string{LabelName: c.Name, LabelInstance: Instance}
}

// Web tier facts.
const (
	WebReplicas      = 3
	WebContainerPort = 8080
	WebServicePort   = 80
	WebNodePort      = 30080
	// ServingHostPath answers the serving-host and pod IP as JSON.
	ServingHostPath = "/serving-host"
)

// Database facts.
const (
	MySQLPort          = 3306
	MySQLService       = "mysql"
	MySQLHeadless      = "mysql-headless"
	MySQLSecret        = "mysql-credentials"
	MySQLClaimTemplate = "data"
	MySQLContainer     = "mysql"
	// MySQLPod is the StatefulSet's only pod.
	MySQLPod = "mysql-0"
)

// The HA tier (components/galera, overlays/dev-ha and prod-ha): the
// database as a MariaDB Galera cluster of GaleraMembers members, each a
// full copy. Galera's members replicate on its group, IST and SST ports;
// before a member's server starts, start.sh tells its peers where it
// stands on GaleraStatePort.
const (
	GaleraMembers   = 3
	GaleraImage     = "mariadb:10.11"
	GaleraGroupPort = 4567
	GaleraISTPort   = 4568
	GaleraSSTPort   = 4444
	GaleraStatePort = 4569
)

// GaleraPorts are the ports only the members reach.
var GaleraPorts = []int32{GaleraGroupPort, GaleraISTPort, GaleraSSTPort, GaleraStatePort}

// MySQLClaim is the claim the StatefulSet creates for MySQLPod.
const MySQLClaim = MySQLClaimTemplate + "-" + MySQLPod

// The database's user and its dev volumes: the pod runs as DatabaseUID
// (uid and gid, the official image's mysql user), and every dev stack keeps
// its data in DevDataDir on the node, in a subfolder named after its
// namespace, through its own hostPath PersistentVolume DevVolume(namespace).
// kubelet never chowns a hostPath volume, so hack/ creates the folder owned
// by that user (hack/lib.sh says the same), and the database pod's init
// container makes the subfolder as that user.
const (
	DatabaseUID = 999
	DevDataDir  = "/var/lib/kubectl-stack/mysql"
)

// DevVolume names the dev PersistentVolume of the stack in namespace.
func DevVolume(namespace string) string { return "kubectl-stack-mysql-data." + namespace }

// BackupLocationEnv is the variable that names a backup location, set by
// the ConfigMap the scheduled backup and the binary log archiver read.
const BackupLocationEnv = "KUBECTL_STACK_BACKUP_LOCATION"

// The binary log archiver (components/binlog-archive): its Deployment, the
// ConfigMap it reports its status in, its metrics port, and the database
// user it connects as.
var BinlogArchiver = Component{Name: "binlog-archiver", Kind: "Deployment", Component: "backup"}

const (
	BinlogArchiverStatus      = "binlog-archiver-status"
	BinlogArchiverMetricsPort = 9102
	BinlogArchiverUser        = "binlog_archiver"
)

// The project's own images, as the manifests name them (before an overlay's
// tag or digest). The release builds them (hack/images/imagebuild); every other
// image of the stack is a public one.
const (
	WatcherImage = "kubectl-stack/watcher"
	PluginImage  = "kubectl-stack/kubectl-stack"
)

// OwnImages lists the project's own images.
var OwnImages = []string{WatcherImage, PluginImage}

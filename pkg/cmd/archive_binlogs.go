package cmd

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/binlog"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

var archiveBinlogsExample = templates.Examples(`
	# What components/binlog-archive runs in the cluster
	MYSQL_BINLOG_USER=binlog_archiver MYSQL_BINLOG_PASSWORD=... \
	  kubectl stack archive-binlogs --to s3://backups/prod --mysql-address mysql:3306`)

// The database user's credentials come from the environment, never flags.
const (
	binlogUserEnv     = "MYSQL_BINLOG_USER"
	binlogPasswordEnv = "MYSQL_BINLOG_PASSWORD"
)

// ArchiveBinlogsOptions are the flags and state of `kubectl stack
// archive-binlogs`.
type ArchiveBinlogsOptions struct {
	To             locationFlags
	MySQLAddress   string
	Interval       time.Duration
	MetricsAddress string
	StatusMap      string
	ReplicaID      uint32

	servers []binlog.Server
	target
	genericiooptions.IOStreams
}

// NewCmdArchiveBinlogs returns `kubectl stack archive-binlogs`.
func NewCmdArchiveBinlogs(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ArchiveBinlogsOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "archive-binlogs --to LOCATION",
		Short: "Copy the database's binary logs into a backup location as they are written",
		Long: templates.LongDesc(`
			Connect to the database as a replica would, as the user $` + binlogUserEnv + ` with the
			password $` + binlogPasswordEnv + ` (it needs REPLICATION SLAVE and REPLICATION CLIENT, or
			BINLOG MONITOR on MariaDB, and nothing else), and store its binary logs in LOCATION
			under binlogs/, byte for byte, in chunks of at most --interval: the recovery point
			of 'kubectl stack restore --to-time'. It resumes where the archive ends, after its
			own restart or the server's; when the server no longer holds that file (purged, or
			its logs were reset), it reports a gap and archives from the oldest file it holds.

			On the HA tier --mysql-address lists the members: it follows the first that answers
			and, when that one goes away, carries on from the next at the same GTID (the
			cluster's wsrep_gtid_domain_id), so the archive has no gap; a point-in-time restore
			replays each transaction once.

			It serves binlog_archive_lag_seconds and binlog_archive_gap at --metrics-address
			/metrics, and writes its status (lag, newest event, gap, recoverable windows) to the
			ConfigMap --status-configmap, which 'kubectl stack status' shows.
			components/binlog-archive runs it as a Deployment. It stops on SIGTERM after storing
			what it received. Exit status: 0 stopped (SIGTERM, Ctrl-C), 1 the location or the
			cluster could not be read, 2 bad flags.`),
		Example: archiveBinlogsExample,
		Args:    noArgs,
		RunE:    runVerb(f, o),
	}
	o.To.addFlags(cmd, "to", "the backup location, s3://BUCKET/PREFIX or a folder", true)
	cmd.Flags().StringVar(&o.MySQLAddress, "mysql-address", net.JoinHostPort(stack.MySQLService, strconv.Itoa(stack.MySQLPort)), "the database, HOST:PORT; on the HA tier its members, comma-separated, in the order to follow them")
	cmd.Flags().DurationVar(&o.Interval, "interval", 10*time.Second, "store what was received at least this often: the recovery point")
	cmd.Flags().StringVar(&o.MetricsAddress, "metrics-address", ":"+strconv.Itoa(stack.BinlogArchiverMetricsPort), "serve /metrics here; empty for none")
	cmd.Flags().StringVar(&o.StatusMap, "status-configmap", stack.BinlogArchiverStatus, "ConfigMap of the namespace to write the status to; empty for none")
	cmd.Flags().Uint32Var(&o.ReplicaID, "replica-id", 4242, "the server id the archiver presents to the database; unique among its replicas")
	return cmd
}

// Complete reads the credentials.
func (o *ArchiveBinlogsOptions) Complete(cmdutil.Factory, *cobra.Command, []string) error {
	user, password := os.Getenv(binlogUserEnv), os.Getenv(binlogPasswordEnv)
	for _, address := range strings.Split(o.MySQLAddress, ",") {
		o.servers = append(o.servers, binlog.Server{Address: strings.TrimSpace(address), User: user, Password: password, ReplicaID: o.ReplicaID})
	}
	return nil
}

// Validate checks the flags, the credentials and the location.
func (o *ArchiveBinlogsOptions) Validate() error {
	for _, s := range o.servers {
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			return fmt.Errorf("--mysql-address %q is not HOST:PORT[,HOST:PORT...]", o.MySQLAddress)
		}
	}
	switch {
	case o.servers[0].User == "" || o.servers[0].Password == "":
		return fmt.Errorf("set $%s and $%s to the archiver's database user", binlogUserEnv, binlogPasswordEnv)
	case o.Interval < time.Second:
		return fmt.Errorf("--interval %s is under a second", o.Interval)
	}
	return o.To.parse()
}

// connect builds the clients when the status goes to a ConfigMap, in the
// pod's own namespace unless -n says another.
func (o *ArchiveBinlogsOptions) connect(f cmdutil.Factory) error {
	if o.StatusMap == "" {
		return nil
	}
	if err := o.target.connect(f); err != nil {
		return err
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" && !o.explicit {
		o.namespace = ns
	}
	return nil
}

// Run archives until SIGTERM or Ctrl-C.
func (o *ArchiveBinlogsOptions) Run(ctx context.Context) error {
	c := binlog.Config{Location: o.To.loc, Servers: o.servers, Interval: o.Interval,
		MetricsAddress: o.MetricsAddress, StatusMap: o.StatusMap, Log: o.ErrOut}
	if o.StatusMap != "" {
		c.ConfigMaps = o.clients.Typed.CoreV1().ConfigMaps(o.namespace)
	}
	return binlog.Run(ctx, c)
}

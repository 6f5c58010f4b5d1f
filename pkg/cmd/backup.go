package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var backupExample = templates.Examples(`
	# Dump every user database to a timestamped .sql.gz in this folder
	kubectl stack backup

	# To a named file, replacing it if it exists
	kubectl stack backup /backups/nightly.sql.gz --force

	# Check a backup without the plugin
	cd /backups && sha256sum -c nightly.sql.gz.sha256`)

// BackupOptions are the flags and state of `kubectl stack backup`.
type BackupOptions struct {
	Path  string
	Gzip  bool
	Force bool
	*printFlags

	target
	genericiooptions.IOStreams
}

// NewCmdBackup returns `kubectl stack backup`.
func NewCmdBackup(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &BackupOptions{printFlags: newPrintFlags(false), IOStreams: streams, Gzip: true}
	cmd := &cobra.Command{
		Use:   "backup [FILE]",
		Short: "Dump the database to a local file, verified, with its sha256",
		Long: templates.LongDesc(`
			Run mysqldump (one consistent transaction; routines, triggers, events; every user
			database) inside the database pod over exec and stream it to FILE, gzipped by
			default. The credentials are read inside the container. The file appears only when
			the dump is complete (mysqldump's trailer and exit status checked, data synced),
			with FILE.sha256 beside it; a failure or Ctrl-C leaves nothing behind.
			Exit status: 0 written, 1 failed, 2 bad flags, 3 no database pod in the namespace.`),
		Example: backupExample,
		Args:    usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"sql.gz", "sql"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: runVerb(f, o),
	}
	cmd.Flags().BoolVar(&o.Gzip, "gzip", o.Gzip, "compress the dump with gzip")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace FILE if it exists")
	o.printFlags.addFlags(cmd, tableFlags{})
	return cmd
}

// Complete builds the printer and the clients, and names the file when
// none is given.
func (o *BackupOptions) Complete(f cmdutil.Factory, _ *cobra.Command, args []string) error {
	if err := o.printFlags.complete(); err != nil {
		return err
	}
	if err := o.completeTarget(f); err != nil {
		return err
	}
	if len(args) == 1 {
		o.Path = args[0]
		return nil
	}
	o.Path = fmt.Sprintf("kubectl-stack-%s-%s.sql", o.namespace, time.Now().UTC().Format("20060102T150405Z"))
	if o.Gzip {
		o.Path += ".gz"
	}
	return nil
}

// Validate checks the file's name.
func (o *BackupOptions) Validate() error {
	if o.Path == "" {
		return fmt.Errorf("FILE must not be empty: name a file, or leave it out for a timestamped one")
	}
	return nil
}

// Run takes the backup and reports it.
func (o *BackupOptions) Run(ctx context.Context) error {
	res, err := backup.Backup(ctx, o.clients, backup.Options{Namespace: o.namespace, Path: o.Path, Gzip: o.Gzip, Force: o.Force, Progress: o.ErrOut})
	if err != nil {
		return err
	}
	return o.print(o.Out, output{kind: "Backup", data: res, table: func(w io.Writer, _ table.Options) error {
		_, err := fmt.Fprintf(w, "%s: %s (dump %s) in %s, %s/s; sha256 %s in %s\n", res.Path, byteSize(res.Size), byteSize(res.DumpSize),
			res.Duration.Round(time.Millisecond), byteSize(int64(res.Throughput())), res.Checksum[:12], backup.ChecksumPath(res.Path))
		return err
	}})
}

// byteSize formats a size in binary units, to one decimal.
func byteSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/history"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
	"github.com/kubectl-stack/kubectl-stack/pkg/version"
)

var backupExample = templates.Examples(`
	# Dump every user database to a timestamped .sql.gz in this folder
	kubectl stack backup

	# To a named file, replacing it if it exists
	kubectl stack backup /backups/nightly.sql.gz --force

	# Check a backup without the plugin
	cd /backups && sha256sum -c nightly.sql.gz.sha256

	# Into an S3-compatible bucket (credentials from the AWS environment)
	export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
	kubectl stack backup --to s3://backups/prod --s3-endpoint https://objects.example.internal

	# Into a local folder of backups, compressed with zstd
	kubectl stack backup --to /backups --compression zstd

	# Then keep the newest 7; first see what that would delete, writing nothing
	kubectl stack backup --to /backups --keep-last 7 --dry-run=server
	kubectl stack backup --to /backups --keep-last 7`)

// BackupOptions are the flags and state of `kubectl stack backup`.
type BackupOptions struct {
	Path        string
	Gzip        bool
	Compression string
	Force       bool
	To          locationFlags
	// Retention, applied after a backup --to a location succeeded.
	Retention backup.Retention
	DryRun    string
	*printFlags

	compression backup.Compression
	// prune says a --keep-* flag was given: a retention to apply.
	prune bool

	target
	genericiooptions.IOStreams
}

// NewCmdBackup returns `kubectl stack backup`.
func NewCmdBackup(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &BackupOptions{printFlags: newPrintFlags(false), IOStreams: streams, Gzip: true, Compression: string(backup.Gzip), DryRun: "none"}
	cmd := &cobra.Command{
		Use:   "backup [FILE | --to LOCATION]",
		Short: "Dump the database to a local file or a backup location, verified, with its sha256",
		Long: templates.LongDesc(`
			Run mysqldump (one consistent transaction; routines, triggers, events; every user
			database) inside the database pod over exec and stream it to FILE, gzipped by
			default. The credentials are read inside the container. The file appears only when
			the dump is complete (mysqldump's trailer and exit status checked, data synced),
			with FILE.sha256 beside it; a failure or Ctrl-C leaves nothing behind.

			With --to LOCATION (s3://BUCKET/PREFIX, or a local folder) the dump streams to
			LOCATION/ID/ (ID is the UTC time it began), with no local copy; an object store
			receives it as a multipart upload. The tables' exact row counts and CHECKSUM TABLE
			values are read in one consistent snapshot, in a session beside the dump's.
			manifest.json (databases, tables, sizes, the data's sha256, the server's version,
			the plugin's) is written last: a backup without it is incomplete, never listed as
			restorable, and removed by the next 'kubectl stack backups prune'. Credentials
			come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE and
			~/.aws/credentials; never from a flag. --keep-last, --keep-daily and --keep-weekly
			then prune the location as 'kubectl stack backups prune' does.

			With --dry-run=server nothing is written or deleted: the database pod is checked,
			its databases listed, the location reached, and the prune's plan printed.
			Exit status: 0 written, 1 failed, 2 bad flags or arguments, 3 no database pod in
			the namespace.`),
		Example: backupExample,
		Args:    positional(0, 1, "FILE, the file to write"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"sql.gz", "sql"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: runVerb(f, o),
	}
	cmd.Flags().BoolVar(&o.Gzip, "gzip", o.Gzip, "compress the dump with gzip")
	_ = cmd.Flags().MarkDeprecated("gzip", "use --compression none for an uncompressed dump")
	cmd.Flags().StringVar(&o.Compression, "compression", o.Compression, "gzip (gzip -1 in the pod, or in parallel here when its image has no gzip), zstd (in parallel on every core here) or none")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace FILE if it exists")
	o.To.addFlags(cmd, "to", "back up into this location, s3://BUCKET/PREFIX or a folder, instead of FILE", false)
	cmd.Flags().IntVar(&o.Retention.Last, "keep-last", 0, "with --to: then prune, keeping the newest N backups (see 'backups prune')")
	cmd.Flags().IntVar(&o.Retention.Daily, "keep-daily", 0, "with --to: then prune, keeping the newest backup of each of the last D days")
	cmd.Flags().IntVar(&o.Retention.Weekly, "keep-weekly", 0, "with --to: then prune, keeping the newest backup of each of the last W weeks")
	addDryRunFlag(cmd, &o.DryRun, `"server" checks the pod, the databases and the location and shows the prune's plan, writing and deleting nothing; "none" backs up`)
	cmd.AddCommand(NewCmdBackupVerify(f, streams))
	_ = cmd.RegisterFlagCompletionFunc("compression", cobra.FixedCompletions([]string{"gzip", "zstd", "none"}, cobra.ShellCompDirectiveNoFileComp))
	o.printFlags.addFlags(cmd, tableFlags{})
	return cmd
}

// Complete builds the printer and reads the compression and FILE.
func (o *BackupOptions) Complete(_ cmdutil.Factory, cmd *cobra.Command, args []string) error {
	if err := o.printFlags.complete(); err != nil {
		return err
	}
	c, err := backup.ParseCompression(o.Compression)
	if err != nil {
		return err
	}
	if !o.Gzip {
		c = backup.None
	}
	o.compression = c
	for _, keep := range []string{"keep-last", "keep-daily", "keep-weekly"} {
		o.prune = o.prune || cmd.Flags().Changed(keep)
	}
	if len(args) == 1 {
		if args[0] == "" {
			return fmt.Errorf("FILE must not be empty: name a file, or leave it out for a timestamped one")
		}
		o.Path = args[0]
	}
	return nil
}

// Validate checks FILE or the location, and that a retention goes with a
// location.
func (o *BackupOptions) Validate() error {
	if err := validateDryRun(o.DryRun); err != nil {
		return err
	}
	if o.To.raw == "" {
		if o.prune {
			return fmt.Errorf("--keep-last, --keep-daily and --keep-weekly prune a location: use them with --to")
		}
		if o.Path == "" {
			return nil // a timestamped file here, named once the namespace is known
		}
		return backup.CheckTarget(o.Path, o.Force)
	}
	if o.Path != "" {
		return fmt.Errorf("FILE and --to exclude each other: name one")
	}
	if o.prune {
		if err := o.Retention.Validate(); err != nil {
			return err
		}
	}
	return o.To.parse()
}

// Run takes the backup, or rehearses it, and reports it.
func (o *BackupOptions) Run(ctx context.Context) error {
	if o.Path == "" && o.To.raw == "" {
		o.Path = fmt.Sprintf("kubectl-stack-%s-%s%s", o.namespace, time.Now().UTC().Format("20060102T150405Z"), o.compression.Ext())
	}
	switch {
	case o.DryRun == "server":
		return o.rehearse(ctx)
	case o.To.raw != "":
		return o.archive(ctx)
	}
	res, err := backup.Backup(ctx, o.clients, backup.Options{Namespace: o.namespace, Path: o.Path, Compression: o.compression, Force: o.Force, Progress: o.ErrOut})
	if err != nil {
		return err
	}
	return o.print(o.Out, output{kind: kindBackup, data: res, table: func(w io.Writer, _ table.Options) error {
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

// archive backs up into the location, prunes when asked and prints the
// manifest.
func (o *BackupOptions) archive(ctx context.Context) error {
	start := time.Now()
	m, err := backup.Archive(ctx, o.clients, backup.ArchiveOptions{
		Namespace: o.namespace, Overlay: o.overlay(ctx), Location: o.To.loc, Compression: o.compression,
		PluginVersion: version.Version, Progress: o.ErrOut,
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	if o.prune {
		plan, err := backup.ApplyRetention(ctx, o.To.loc, backup.PruneOptions{Retention: o.Retention, DebrisAge: backup.DefaultDebrisAge})
		if err != nil {
			return fmt.Errorf("backup %s written, but the prune after it failed: %w", m.ID, err)
		}
		fmt.Fprintf(o.ErrOut, "pruned: %s\n", strings.ReplaceAll(describePrune(plan), "\n", "; "))
	}
	loc := strings.TrimSuffix(o.To.loc.String(), "/")
	return o.print(o.Out, output{kind: kindBackupManifest, data: m, table: func(w io.Writer, _ table.Options) error {
		_, err := fmt.Fprintf(w, "backup %s: %s/%s/ %s (dump %s) in %s, %s/s; %d databases, sha256 %s\n", m.ID, loc, m.ID,
			byteSize(m.Data.Bytes), byteSize(m.Data.DumpBytes), took.Round(time.Millisecond), byteSize(int64(float64(m.Data.DumpBytes)/took.Seconds())),
			len(m.Databases), m.Data.SHA256[:12])
		return err
	}})
}

// overlay is what the stack was applied from, for the manifest: a clone
// of the backup applies it. The scheduled backup may not read the
// revisions (they hold the stack's Secrets), so its manifests go without.
func (o *BackupOptions) overlay(ctx context.Context) string {
	src, err := history.NewStore(o.clients.Typed, o.namespace).NewestSource(ctx)
	if err != nil && !apierrors.IsForbidden(err) {
		fmt.Fprintf(o.ErrOut, "warning: the manifest records no overlay, a clone of this backup will need -k: %v\n", err)
	}
	return src
}

// rehearse checks what the backup needs and prints what it would do.
func (o *BackupOptions) rehearse(ctx context.Context) error {
	target := o.Path
	if o.To.loc != nil {
		target = o.To.loc.String()
	}
	r, err := backup.Rehearse(ctx, o.clients, o.namespace, target, o.To.loc)
	if err != nil {
		return err
	}
	if o.prune {
		r.Prune, err = backup.ApplyRetention(ctx, o.To.loc, backup.PruneOptions{
			Retention: o.Retention, DebrisAge: backup.DefaultDebrisAge, DryRun: true, Upcoming: r.ID,
		})
		if err != nil {
			return err
		}
	}
	return o.print(o.Out, output{kind: kindBackupPlan, data: r, table: func(w io.Writer, _ table.Options) error {
		fmt.Fprintf(w, "would back up the databases %s of namespace %s to %s\n", list(r.Databases), r.Namespace, r.Target)
		if r.Prune != nil {
			fmt.Fprintf(w, "then prune: %s\n", strings.ReplaceAll(describePrune(r.Prune), "\n", "; "))
		}
		_, err := fmt.Fprintln(w, "(server dry run: nothing was written or deleted)")
		return err
	}})
}

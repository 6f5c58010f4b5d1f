package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

var verifyExample = templates.Examples(`
	# Restore-test the newest backup of a bucket
	kubectl stack backup verify --from s3://backups/prod

	# One backup, by its ID
	kubectl stack backup verify 20261126T021700.000Z --from s3://backups/prod`)

// VerifyOptions are the flags and state of `kubectl stack backup verify`.
type VerifyOptions struct {
	ID          string
	From        locationFlags
	DownloadDir string
	*printFlags

	target
	genericiooptions.IOStreams
}

// NewCmdBackupVerify returns `kubectl stack backup verify`.
func NewCmdBackupVerify(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &VerifyOptions{printFlags: newPrintFlags(false), IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "verify [ID|latest] --from LOCATION",
		Short: "Restore a backup into a throwaway database and compare it with its manifest",
		Long: templates.LongDesc(`
			A restore test. Download backup ID (default: the newest) from LOCATION and check its
			sha256; start a throwaway database server (the stack's own image and configuration)
			in a temporary namespace that enforces Pod Security "restricted", with no Service
			and a NetworkPolicy that denies all traffic; restore the backup into it and compare
			every table's row count and CHECKSUM TABLE with the manifest. The verdict is written
			next to the manifest as verify.json ('kubectl stack backups' shows it, and 'backups
			prune' never deletes the only verified backup). The namespace is removed
			afterwards, also after a failure or Ctrl-C. The stack's database is not touched.
			Exit status: 0 passed, 1 failed or could not run, 2 bad flags, 3 no database in
			the namespace.`),
		Example: verifyExample,
		Args:    positional(0, 1, "ID, a backup of the location, or latest"),
		RunE:    runVerb(f, o),
	}
	o.From.addFlags(cmd, "from", "the backup location, s3://BUCKET/PREFIX or a folder", true)
	cmd.Flags().StringVar(&o.DownloadDir, "download-dir", backup.DefaultSafetyDir(), "local folder the backup is downloaded to for the test (removed after)")
	o.printFlags.addFlags(cmd, tableFlags{})
	return cmd
}

// Complete builds the printer and reads the ID.
func (o *VerifyOptions) Complete(_ cmdutil.Factory, _ *cobra.Command, args []string) error {
	o.ID = "latest"
	if len(args) == 1 {
		o.ID = args[0]
	}
	return o.printFlags.complete()
}

// Validate checks the location.
func (o *VerifyOptions) Validate() error { return o.From.parse() }

// Run tests the backup and prints the verdict.
func (o *VerifyOptions) Run(ctx context.Context) error {
	cat, err := o.From.catalog(ctx)
	if err != nil {
		return err
	}
	entry, err := cat.Find(o.ID)
	if err != nil {
		return err
	}
	v, err := backup.TestRestore(ctx, o.clients, entry, backup.RestoreTestOptions{
		Namespace: o.namespace, Location: o.From.loc, DownloadDir: o.DownloadDir, Progress: o.ErrOut,
	})
	if v == nil {
		return err
	}
	if perr := o.print(o.Out, output{kind: kindVerdict, data: v, table: func(w io.Writer, _ table.Options) error {
		result := "passed"
		if !v.Passed {
			result = "FAILED"
		}
		_, err := fmt.Fprintf(w, "backup %s %s its restore test: %s\n", v.ID, result, v.Message)
		return err
	}}); perr != nil {
		return perr
	}
	return err
}

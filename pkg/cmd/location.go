package cmd

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/kubectl-stack/kubectl-stack/pkg/backup"
	"github.com/kubectl-stack/kubectl-stack/pkg/location"
	"github.com/kubectl-stack/kubectl-stack/pkg/stack"
)

// locationEnv names the backup location when --from is not given, so a
// team sets it once (the scheduled backup's CronJob does).
const locationEnv = stack.BackupLocationEnv

// locationFlags are how a verb reaches a backup location. The object
// store's credentials are never flags (they would end in shell history):
// they come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE.
type locationFlags struct {
	raw     string
	s3      location.S3Options
	fromEnv bool

	loc location.Location // parse's
}

// addFlags adds the location flag, NAME, and the object store's. With
// fromEnv, $KUBECTL_STACK_BACKUP_LOCATION is its default.
func (l *locationFlags) addFlags(cmd *cobra.Command, name, usage string, fromEnv bool) {
	l.fromEnv = fromEnv
	if fromEnv {
		usage += " (default $" + locationEnv + ")"
	}
	cmd.Flags().StringVar(&l.raw, name, "", usage)
	cmd.Flags().StringVar(&l.s3.Endpoint, "s3-endpoint", "", "the object store's URL, http(s)://HOST[:PORT] (default $AWS_ENDPOINT_URL)")
	cmd.Flags().StringVar(&l.s3.Region, "s3-region", "", "the bucket's region (default $AWS_REGION)")
	cmd.Flags().BoolVar(&l.s3.PathStyle, "s3-path-style", false, "address the bucket in the URL's path, not its host name (most S3-compatible servers need it; detected when not given)")
	cmd.Flags().StringVar(&l.s3.CAFile, "s3-ca-file", "", "PEM file of the CA that signed the object store's certificate")
	cmd.Flags().IntVar(&l.s3.PartSizeMiB, "s3-part-size", 16, "MiB per part of an upload; 4 parts are in flight, so this sets the memory an upload takes")
}

// given says a location was named, by the flag or (fromEnv) the
// environment.
func (l *locationFlags) given() bool {
	return l.raw != "" || l.fromEnv && os.Getenv(locationEnv) != ""
}

// parse reads the location and builds its client, sending nothing (a
// local folder is looked at): Validate calls it, so a location that cannot
// be used is a usage error.
func (l *locationFlags) parse() error {
	raw := l.raw
	if raw == "" && l.fromEnv {
		raw = os.Getenv(locationEnv)
	}
	loc, err := location.Parse(raw, l.s3)
	l.loc = loc
	return err
}

// catalog lists the location's backups.
func (l *locationFlags) catalog(ctx context.Context) (*backup.Catalog, error) {
	return backup.List(ctx, l.loc)
}

// Package backup backs the stack's database up and restores it, by running
// mysqldump and mysql inside the database pod over the exec subresource, as
// `kubectl exec` does. It knows nothing of cobra: pkg/cmd's backup, backups
// and restore verbs are its command line, and pkg/binlog builds the
// point-in-time restore on top of it.
//
// Its files, by what they are about:
//
//   - The database pod: pod.go (finding it ready, running a script in it),
//     podstream.go (streams over exec), scripts.go (the shell run in the
//     pod; credentials read there, never on a command line), errors.go (the
//     server's and the client's errors, classified), stats.go (the
//     databases, their counts and checksums, as the server has them).
//   - A backup into a local file: backup.go, file.go (the file appears whole,
//     beside its .sha256), compression.go, verify.go (a dump read through
//     before it is trusted), verifying.go (that, in the background),
//     rowcount.go (the tables and rows a dump loads).
//   - A backup location (pkg/location): archive.go (a backup streamed into
//     it), manifest.go and catalog.go (what it holds), fetch.go (a backup
//     downloaded and checked), prune.go (retention), verdict.go (a restore
//     test's outcome), rehearse.go (a backup's dry run), coordinates.go
//     (where in the binary logs a backup stands).
//   - A restore: restore.go (the whole, failure-safe), safety.go (the copy
//     it puts back when anything fails), sessions.go (sessions that would
//     hold its drops), inpod.go (the dump copied into the pod first),
//     replay.go (binary logs applied after the dump).
//   - A restore test (backup verify): restoretest.go, scratch.go (the
//     throwaway database server it restores into).
package backup

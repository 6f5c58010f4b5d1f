package cmd

// documentKind is the kind of the document a verb prints with -o json,
// yaml, jsonpath or go-template (apiVersion kubectl-stack.io/v1alpha1); a
// result that is a list prints as a List of its kind (KIND + "List"). Every
// kind is in the block below, and TestREADMEKinds keeps the README's list
// of them in step with it.
type documentKind string

const (
	kindApplyResult    documentKind = "ApplyResult"    // apply, rollback
	kindDeleteResult   documentKind = "DeleteResult"   // delete
	kindRevision       documentKind = "Revision"       // history (a list)
	kindRestartResult  documentKind = "RestartResult"  // restart
	kindImage          documentKind = "Image"          // images (a list)
	kindPushedImage    documentKind = "PushedImage"    // images push (a list)
	kindStack          documentKind = "Stack"          // list (a list)
	kindStackStatus    documentKind = "StackStatus"    // status
	kindPodEvent       documentKind = "PodEvent"       // events, one per event
	kindLogLine        documentKind = "LogLine"        // logs, one per line
	kindNetworkCheck   documentKind = "NetworkCheck"   // netcheck (a list; one for a query)
	kindReport         documentKind = "Report"         // report: the file and its contents
	kindBackup         documentKind = "Backup"         // backup FILE
	kindBackupManifest documentKind = "BackupManifest" // backup --to
	kindClonePlan      documentKind = "ClonePlan"      // clone --dry-run=server
	kindCloneResult    documentKind = "CloneResult"    // clone: the clone and the new stack's status
	kindBackupPlan     documentKind = "BackupPlan"     // backup --dry-run=server
	kindVerdict        documentKind = "Verdict"        // backup verify
	kindBackupList     documentKind = "BackupList"     // backups
	kindPruneResult    documentKind = "PruneResult"    // backups prune
	kindRestoreResult  documentKind = "RestoreResult"  // restore
	kindVersion        documentKind = "Version"        // version
)

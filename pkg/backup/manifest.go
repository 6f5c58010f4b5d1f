package backup

import (
	"encoding/json"
	"fmt"
	"time"
)

// ManifestFormat is the manifest format this plugin writes and the newest
// it reads; a later plugin that changes the format raises it.
const ManifestFormat = 1

// Keys of a backup's objects, under its ID.
const (
	manifestName = "manifest.json"
	verdictName  = "verify.json"
	dataName     = "dump"
)

// Manifest describes one backup in a location. It is written last: a
// backup without one is incomplete and never restored.
type Manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Format     int    `json:"format"`
	ID         string `json:"id"`
	// Namespace the stack ran in.
	Namespace string `json:"namespace"`
	// Overlay is what the stack's newest revision was applied from, as
	// -k names it; empty when unknown. A clone applies it.
	Overlay   string     `json:"overlay,omitempty"`
	Started   time.Time  `json:"started"`
	Finished  time.Time  `json:"finished"`
	Databases []Database `json:"databases"`
	Data      DataObject `json:"data"`
	Server    Server     `json:"server"`
	// Binlog is where the dump stands in the server's binary logs, the
	// start of a point-in-time restore's replay; absent when the server
	// wrote none.
	Binlog *BinlogPosition `json:"binlog,omitempty"`
	// PluginVersion is the kubectl-stack that took the backup.
	PluginVersion string `json:"pluginVersion"`
}

// Database is one dumped database, as it was when the dump began.
type Database struct {
	Name   string  `json:"name"`
	Tables []Table `json:"tables"`
}

// Table holds a table's exact row count and the server's CHECKSUM TABLE,
// both read in one consistent snapshot.
type Table struct {
	Name     string `json:"name"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// DataObject is the dump itself.
type DataObject struct {
	Key         string      `json:"key"`
	Compression Compression `json:"compression"`
	// Bytes is the object's size; DumpBytes the dump's, uncompressed.
	Bytes     int64  `json:"bytes"`
	DumpBytes int64  `json:"dumpBytes"`
	SHA256    string `json:"sha256"`
}

// Server is the database server the dump came from.
type Server struct {
	Version string `json:"version"`
	// Flavour is MySQL or MariaDB.
	Flavour string `json:"flavour"`
	// Pod is the pod it ran in: on the HA tier, the member dumped.
	Pod string `json:"pod,omitempty"`
}

// DatabaseNames are the dumped databases' names.
func (m *Manifest) DatabaseNames() []string {
	names := make([]string, len(m.Databases))
	for i, d := range m.Databases {
		names[i] = d.Name
	}
	return names
}

// NewerFormatError is a manifest this plugin is too old to read.
type NewerFormatError struct {
	ID     string
	Format int
}

func (e *NewerFormatError) Error() string {
	return fmt.Sprintf("backup %s has a manifest of format %d, this plugin reads up to %d: upgrade kubectl-stack to restore it", e.ID, e.Format, ManifestFormat)
}

func decodeManifest(id string, data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("backup %s: its manifest is not valid JSON (%v): the backup is damaged, use another", id, err)
	}
	if m.Format > ManifestFormat {
		return nil, &NewerFormatError{ID: id, Format: m.Format}
	}
	if m.ID != id || m.Data.Key == "" || len(m.Data.SHA256) != 64 {
		return nil, fmt.Errorf("backup %s: its manifest names no data object or another ID (%q): the backup is damaged, use another", id, m.ID)
	}
	return &m, nil
}

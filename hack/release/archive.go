package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// archiveFile is one file of an archive: its name inside, where it is read
// from, and its mode.
type archiveFile struct {
	name, path string
	mode       fs.FileMode
}

// sorted returns the files in name order, so the archive does not depend on
// the order they were listed in.
func sorted(files []archiveFile) []archiveFile {
	s := append([]archiveFile(nil), files...)
	sort.Slice(s, func(i, j int) bool { return s[i].name < s[j].name })
	return s
}

// writeTarGz writes a tar.gz whose bytes depend only on the files' names,
// modes and contents: root-owned, one fixed time, no gzip name or time.
func writeTarGz(files []archiveFile, stamp time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	for _, f := range sorted(files) {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: f.name, Mode: int64(f.mode), Size: int64(len(data)), ModTime: stamp,
			Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeZip is writeTarGz for Windows users.
func writeZip(files []archiveFile, stamp time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, f := range sorted(files) {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: stamp}
		hdr.SetMode(f.mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeSHA256 writes FILE.sha256 ("HEX  NAME"), as sha256sum -c reads it.
func writeSHA256(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	line := hex.EncodeToString(h.Sum(nil)) + "  " + filepath.Base(file) + "\n"
	return os.WriteFile(file+".sha256", []byte(line), 0o644)
}

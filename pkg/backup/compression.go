package backup

import (
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Compression is how a dump is compressed on this machine, in parallel
// blocks on every core: the mysqldump in the pod is then the slower end.
type Compression string

const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
	None Compression = "none"
)

// Compressions are the values --compression takes.
var Compressions = []Compression{Gzip, Zstd, None}

// Ext is the file name's ending for a dump so compressed.
func (c Compression) Ext() string {
	switch c {
	case Gzip:
		return ".sql.gz"
	case Zstd:
		return ".sql.zst"
	}
	return ".sql"
}

// ParseCompression reads a --compression value.
func ParseCompression(s string) (Compression, error) {
	for _, c := range Compressions {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("--compression %q: use gzip, zstd or none", s)
}

// compressor writes w compressed; Close flushes it (and leaves w open).
func (c Compression) compressor(w io.Writer) (io.WriteCloser, error) {
	switch c {
	case Gzip:
		gz := pgzip.NewWriter(w)
		// 1 MiB blocks, two per core in flight.
		return gz, gz.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0))
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	}
	return nopCloser{w}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// sniff tells a dump's compression by its first bytes.
func sniff(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return Gzip
	case bytes.HasPrefix(head, zstdMagic):
		return Zstd
	}
	return None
}

// decompressor reads r as compressed by c; Close frees its workers.
func (c Compression) decompressor(r io.Reader) (io.ReadCloser, error) {
	switch c {
	case Gzip:
		return pgzip.NewReader(r)
	case Zstd:
		d, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return io.NopCloser(r), nil
}

package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// podSpareBytes is what a copy of the dump must leave free in the pod's
// /tmp, so that the server's own temporary files still fit.
const podSpareBytes = 256 << 20

// copyIntoPod copies a gzipped dump, as it is, into the pod's /tmp, when
// the container has gzip and room for it, and returns the sha256 of what
// it copied, or "" when it did not copy. The dump is then loaded in the
// pod (podRestoreScript): the exec stream, at about 30 MB/s, carries a
// fraction of the dump instead of all of it.
// Streaming it compressed into a script that decompressed it as it came
// was faster still, but an exec whose stdin the script no longer read
// (a statement the server refused) sometimes never ended on a loaded node;
// here stdin ends with the copy, and the load runs with none.
func copyIntoPod(ctx context.Context, db *database, path string) (sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", localError("open", err)
	}
	defer f.Close()
	head := make([]byte, len(gzipMagic))
	if _, err := io.ReadFull(f, head); err != nil || sniff(head) != Gzip {
		return "", nil // Verify names what is wrong with the file
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", localError("seek", err)
	}
	info, err := f.Stat()
	if err != nil {
		return "", localError("stat", err)
	}
	end := gzipMember(doneQuery)
	size := info.Size() + int64(len(end))
	room, err := podRoom(ctx, db)
	if err != nil || room < size+podSpareBytes {
		return "", err
	}
	hash := sha256.New()
	in := io.MultiReader(io.TeeReader(f, hash), bytes.NewReader(end))
	if err := db.run(ctx, copyScript(size), in, io.Discard); err != nil {
		return "", fmt.Errorf("copying the dump into %s: %w", podDumpFile, err)
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}

// podRoom is the free space of the pod's /tmp in bytes, or 0 when the
// container lacks gzip or df.
func podRoom(ctx context.Context, db *database) (int64, error) {
	var out bytes.Buffer
	if err := db.run(ctx, roomScript, nil, &out); err != nil {
		return 0, err
	}
	return parseRoom(out.String()), nil
}

// parseRoom reads the available KiB of the last line of `df -Pk`.
func parseRoom(df string) int64 {
	fields := strings.Fields(lastLine(df))
	if len(fields) < 4 {
		return 0
	}
	kib, err := strconv.ParseInt(fields[3], 10, 64)
	if err != nil {
		return 0
	}
	return kib << 10
}

// gzipMember is s as a gzip member of its own: appended to a gzip file,
// gzip -d reads both as one stream.
func gzipMember(s string) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	_, _ = gz.Write([]byte(s))
	_ = gz.Close()
	return b.Bytes()
}

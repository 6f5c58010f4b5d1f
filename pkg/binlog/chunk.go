// Package binlog archives the database's binary logs into a backup
// location and plans a replay from a backup's coordinates to a point in
// time. It knows nothing of cobra.
package binlog

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Prefix is the folder of a location that holds the archived binary logs;
// the backups' catalog leaves it alone (it is not named like a backup).
const Prefix = "binlogs/"

// Chunk is a stretch of one binary log file, bytes [Start, End) of it, as
// the server wrote them: the chunks of a file, concatenated in order, are
// the file. The first chunk of a file starts at 0 (the file's magic
// number); Closes says the chunk holds the file's last event (a rotate or
// a stop), so the next file follows without a gap.
type Chunk struct {
	File   string    `json:"file"`
	Start  uint32    `json:"start"`
	End    uint32    `json:"end"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Closes bool      `json:"closes"`
	// GTIDs are set on the HA tier's chunks, nil elsewhere.
	GTIDs *GTIDs `json:"gtids,omitempty"`
}

// GTIDs place a chunk in the Galera cluster's one GTID sequence: every
// member writes every transaction to its own binary logs under the same
// GTID of the cluster's domain (wsrep_gtid_domain_id), at other file
// names and offsets. From is the sequence number of the last transaction
// completed before the chunk's first byte, To of the last one completed
// by its end: they say where one member's logs take up another's.
type GTIDs struct {
	Domain uint32 `json:"domain"`
	From   uint64 `json:"from"`
	To     uint64 `json:"to"`
}

// The key is the index: listing the folder tells every chunk's place and
// times without reading one.
//
//	binlogs/mysql-bin.000003/0000000000-0000012345-1764151200-1764151210.part
//
// and on the HA tier with the GTIDs, domain, from and to:
//
//	binlogs/mysql-1-bin.000002/0000000000-0000012345-1764151200-1764151210-g1-1200-1234.part
var keyPattern = regexp.MustCompile(`^` + Prefix + `([^/]+)/(\d{10})-(\d{10})-(\d+)-(\d+)(?:-g(\d+)-(\d+)-(\d+))?\.(part|end)$`)

// Key is where the chunk is stored.
func (c Chunk) Key() string {
	kind := "part"
	if c.Closes {
		kind = "end"
	}
	var gtids string
	if g := c.GTIDs; g != nil {
		gtids = fmt.Sprintf("-g%d-%d-%d", g.Domain, g.From, g.To)
	}
	return fmt.Sprintf("%s%s/%010d-%010d-%d-%d%s.%s", Prefix, c.File, c.Start, c.End, c.First.Unix(), c.Last.Unix(), gtids, kind)
}

// parseKey reads a chunk's key; ok is false for any other object.
func parseKey(key string) (Chunk, bool) {
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return Chunk{}, false
	}
	start, err1 := strconv.ParseUint(m[2], 10, 32)
	end, err2 := strconv.ParseUint(m[3], 10, 32)
	first, err3 := strconv.ParseInt(m[4], 10, 64)
	last, err4 := strconv.ParseInt(m[5], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || end <= start {
		return Chunk{}, false
	}
	c := Chunk{File: m[1], Start: uint32(start), End: uint32(end),
		First: time.Unix(first, 0).UTC(), Last: time.Unix(last, 0).UTC(), Closes: m[9] == "end"}
	if m[6] != "" {
		domain, err1 := strconv.ParseUint(m[6], 10, 32)
		from, err2 := strconv.ParseUint(m[7], 10, 64)
		to, err3 := strconv.ParseUint(m[8], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || to < from {
			return Chunk{}, false
		}
		c.GTIDs = &GTIDs{Domain: uint32(domain), From: from, To: to}
	}
	return c, true
}

// Position is a place in the binary logs: a file and a byte offset in it.
type Position struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
}

func (p Position) String() string { return fmt.Sprintf("%s:%d", p.File, p.Pos) }

// Before orders positions: by file, then offset.
func (p Position) Before(q Position) bool {
	if p.File != q.File {
		return fileLess(p.File, q.File)
	}
	return p.Pos < q.Pos
}

// ParsePosition reads FILE:POS.
func ParsePosition(s string) (Position, error) {
	file, pos, ok := strings.Cut(s, ":")
	n, err := strconv.ParseUint(pos, 10, 32)
	if !ok || file == "" || err != nil || path.Base(file) != file {
		return Position{}, fmt.Errorf("position %q is not FILE:OFFSET, e.g. mysql-bin.000003:1234", s)
	}
	return Position{File: file, Pos: uint32(n)}, nil
}

// fileLess orders binary log names by their numeric suffix, which MySQL
// widens past six digits.
func fileLess(a, b string) bool {
	sa, na := splitName(a)
	sb, nb := splitName(b)
	if sa != sb || na < 0 || nb < 0 {
		return a < b
	}
	return na < nb
}

// next says b is the file the server opens after a.
func next(a, b string) bool {
	sa, na := splitName(a)
	sb, nb := splitName(b)
	return sa == sb && na >= 0 && nb == na+1
}

func splitName(name string) (string, int64) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, -1
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	if err != nil {
		return name, -1
	}
	return name[:i], n
}

// sortChunks orders chunks by file, then start.
func sortChunks(cs []Chunk) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].File != cs[j].File {
			return fileLess(cs[i].File, cs[j].File)
		}
		return cs[i].Start < cs[j].Start
	})
}

package backup

import (
	"regexp"
	"strconv"
)

// BinlogPosition is where in the server's binary logs a dump's snapshot
// stands: replaying the logs from there brings the dump forward in time.
type BinlogPosition struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
}

// coordinatesLine is the comment mysqldump --source-data=2 (MySQL) or
// --master-data=2 (MariaDB) writes near the dump's top.
var coordinatesLine = regexp.MustCompile(`(?m)^-- CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)', (?:MASTER|SOURCE)_LOG_POS=(\d+);`)

// binlogPosition reads the coordinates from a dump's first bytes, nil
// when the server wrote no binary logs.
func binlogPosition(head []byte) *BinlogPosition {
	m := coordinatesLine.FindSubmatch(head)
	if m == nil {
		return nil
	}
	pos, err := strconv.ParseUint(string(m[2]), 10, 32)
	if err != nil {
		return nil
	}
	return &BinlogPosition{File: string(m[1]), Pos: uint32(pos)}
}

// prefix keeps the first max bytes written to it.
type prefix struct {
	buf []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if n := p.max - len(p.buf); n > 0 {
		p.buf = append(p.buf, b[:min(n, len(b))]...)
	}
	return len(b), nil
}

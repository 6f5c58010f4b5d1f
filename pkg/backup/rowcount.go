package backup

import "bytes"

var (
	useDB       = []byte("USE `")
	createTable = []byte("CREATE TABLE `")
	insertInto  = []byte("INSERT INTO `")
	values      = []byte(" VALUES")
)

// dumpCounter counts the tables and rows of each database a dump loads,
// from its statements, as Verify reads them: mysqldump writes one USE per
// database, then per table a CREATE TABLE and INSERTs of rows, all on one
// line (MySQL) or one row per line (MariaDB). A client that ran the whole
// dump without an error inserted exactly these rows, so a restore reports
// them without reading every table again afterwards.
type dumpCounter struct {
	res   []Count
	index map[string]int
	db    int // index in res of the database of USE, -1 before any
	// The state inside an INSERT's values: nesting of parentheses, the
	// quote a string is in (0 outside), a backslash just seen in one.
	inInsert bool
	depth    int
	quote    byte
	escaped  bool
}

// add is a database the dump creates.
func (c *dumpCounter) add(name string) {
	c.index[name] = len(c.res)
	c.res = append(c.res, Count{Database: name, Exists: true})
}

// feed reads a line, or a piece of one too long to read whole; atStart
// says it begins a line.
func (c *dumpCounter) feed(b []byte, atStart bool) {
	if c.inInsert {
		c.values(b)
		return
	}
	if !atStart {
		return
	}
	switch {
	case bytes.HasPrefix(b, useDB):
		name, _, _ := bytes.Cut(b[len(useDB):], []byte("`;"))
		c.db = -1
		if i, ok := c.index[string(name)]; ok {
			c.db = i
		}
	case c.db < 0:
	case bytes.HasPrefix(b, createTable):
		c.res[c.db].Tables++
	case bytes.HasPrefix(b, insertInto):
		if i := bytes.Index(b, values); i >= 0 {
			c.inInsert, c.depth, c.quote, c.escaped = true, 0, 0, false
			c.values(b[i+len(values):])
		}
	}
}

// values counts the rows (parenthesised at the top level, outside
// strings) up to the statement's end.
func (c *dumpCounter) values(b []byte) {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if c.quote != 0 {
			switch {
			case c.escaped:
				c.escaped = false
			case ch == '\\':
				c.escaped = true
			case ch == c.quote:
				c.quote = 0
			default: // skip to the next quote or backslash
				j := bytes.IndexAny(b[i:], string([]byte{c.quote, '\\'}))
				if j < 0 {
					return
				}
				i += j - 1
			}
			continue
		}
		switch ch {
		case '\'', '"':
			c.quote = ch
		case '(':
			if c.depth == 0 {
				c.res[c.db].Rows++
			}
			c.depth++
		case ')':
			c.depth--
		case ';':
			if c.depth == 0 {
				c.inInsert = false
				return
			}
		}
	}
}

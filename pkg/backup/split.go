package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/klauspost/compress/gzip"
)

// A split dump is a mysqldump cut where its tables can load side by side,
// as myloader loads mydumper's files: first the databases (the drops, then
// the dump's own CREATE DATABASE lines), then every table (its structure,
// its rows and its triggers, in the order mysqldump writes them) on
// connections of their own, then the rest in the dump's order (views,
// routines, events, the closing settings). Each part is a gzip file that
// begins with the dump's opening session settings (character set, time
// zone, unique and foreign key checks off) and ends with doneQuery, so
// each connection runs with the settings the whole dump would have given
// it and proves it ran its part to the end.
type splitDump struct {
	// Parts in loading order: Parts[0] the databases, the last the rest,
	// the tables between.
	Parts []dumpPart
	// sha256 is the source file's, read as it was split.
	sha256 string
	// dir is the local folder of the parts' files.
	dir string
	// podGzip says the pod decompresses the parts it is sent.
	podGzip bool
}

// dumpPart is one file of a split dump.
type dumpPart struct {
	Path string
	// Table is `db`.`table` for a table's part, "" for the others.
	Table string
	// runs map the part's lines to the dump's, so that a server error
	// names the dump's line: each is where a run of the dump's lines
	// starts in the part.
	runs []lineRun
	// lines is how many lines the part has, decompressed.
	lines int
}

// lineRun: the part's line at starts the dump's line from on.
type lineRun struct{ at, from int }

// dumpLine names the dump's line of a line of the part, 0 when it is one
// the part adds (the settings, a USE, the drops).
func (p dumpPart) dumpLine(partLine int) int {
	for i := len(p.runs) - 1; i >= 0; i-- {
		if r := p.runs[i]; partLine >= r.at {
			if r.from == 0 { // lines the part adds at its end
				return 0
			}
			return r.from + partLine - r.at
		}
	}
	return 0
}

// Where mysqldump starts a database's, a table's and the other sections.
var (
	sectionMark  = []byte("-- ")
	currentDB    = regexp.MustCompile("^-- Current Database: `((?:[^`]|``)+)`")
	tableMark    = regexp.MustCompile("^-- (?:Table structure|Dumping data) for table `((?:[^`]|``)+)`")
	otherSection = regexp.MustCompile("^-- (?:Temporary (?:table|view) structure for view|Final view structure for view|Dumping (?:events|routines) for database|Dump completed)")
)

// splitter writes the parts as it reads the dump once.
type splitter struct {
	dir     string
	header  []byte // the dump's lines before its first database
	creates []createLine
	db      string // the database of the section being read
	table   string // the table of the section being read, "" outside
	cur     *partWriter
	rest    *partWriter
	last    *partWriter // where the line before went
	parts   []dumpPart
	line    int // the dump's line being read
	// sawDatabase says a database's section began.
	sawDatabase bool
}

// createLine is a CREATE DATABASE line of the dump and its number.
type createLine struct {
	text []byte
	line int
}

// split reads a dump, compressed as c says, into parts in dir; nil when
// the dump has no database sections to cut it by.
func split(src io.Reader, c Compression, dir string) (*splitDump, error) {
	hash := sha256.New()
	tee := io.TeeReader(src, hash)
	text, err := c.decompressor(tee)
	if err != nil {
		return nil, err
	}
	defer text.Close()
	s := &splitter{dir: dir}
	if err := s.read(bufio.NewReaderSize(text, 1<<16)); err != nil {
		return nil, err
	}
	if !s.sawDatabase { // not a dump of --databases: nothing says where tables go
		return nil, nil
	}
	if _, err := io.Copy(io.Discard, tee); err != nil { // hash all of it
		return nil, localError("read", err)
	}
	d := &splitDump{sha256: hex.EncodeToString(hash.Sum(nil))}
	databases, err := s.databasesPart()
	if err != nil {
		return nil, err
	}
	d.Parts = append([]dumpPart{databases}, s.parts...)
	return d, nil
}

func (s *splitter) read(lines *bufio.Reader) error {
	atStart := true
	for {
		line, err := lines.ReadSlice('\n')
		if len(line) > 0 {
			if atStart {
				s.line++
				if err := s.section(line); err != nil {
					return err
				}
			}
			if werr := s.write(line, atStart); werr != nil {
				return werr
			}
		}
		atStart = err != bufio.ErrBufferFull
		switch {
		case err == io.EOF:
			return s.finish()
		case err != nil && err != bufio.ErrBufferFull:
			return err
		}
	}
}

// section starts the part a marker line opens; other lines stay where
// they are.
func (s *splitter) section(line []byte) error {
	if !bytes.HasPrefix(line, sectionMark) {
		return nil
	}
	if m := currentDB.FindSubmatch(line); m != nil {
		s.db, s.table, s.sawDatabase = unquote(m[1]), "", true
		return s.toRest()
	}
	if m := tableMark.FindSubmatch(line); m != nil && s.sawDatabase {
		if t := unquote(m[1]); t != s.table || s.cur == nil {
			return s.startTable(t)
		}
		return nil
	}
	if otherSection.Match(line) {
		s.table = ""
		return s.toRest()
	}
	return nil
}

// write puts a line, or a piece of a long one, where it belongs: the
// header before any database, the table being read, or the rest.
func (s *splitter) write(b []byte, atStart bool) error {
	w := s.cur
	switch {
	case s.rest == nil && s.cur == nil:
		s.header = append(s.header, b...)
		return nil
	case w == nil:
		w = s.rest
		if atStart && bytes.HasPrefix(b, createDBPrefix) {
			s.creates = append(s.creates, createLine{bytes.Clone(b), s.line})
		}
	}
	if atStart && w != s.last {
		w.run(s.line)
		s.last = w
	}
	return w.write(b)
}

func (s *splitter) startTable(table string) error {
	if err := s.closeTable(); err != nil {
		return err
	}
	prefix := append(s.sessionHeader(), "USE "+ident(s.db)+";\n"...)
	w, err := s.create(fmt.Sprintf("table-%04d", len(s.parts)), prefix)
	if err != nil {
		return err
	}
	s.table, s.cur = table, w
	w.part.Table = ident(s.db) + "." + ident(table)
	return nil
}

func (s *splitter) toRest() error {
	if err := s.closeTable(); err != nil {
		return err
	}
	if s.rest == nil {
		w, err := s.create("rest", s.sessionHeader())
		if err != nil {
			return err
		}
		s.rest = w
	}
	return nil
}

func (s *splitter) closeTable() error {
	if s.cur == nil {
		return nil
	}
	p, err := s.cur.close()
	s.cur = nil
	s.parts = append(s.parts, p)
	return err
}

func (s *splitter) finish() error {
	if err := s.closeTable(); err != nil {
		return err
	}
	if s.rest == nil {
		return nil
	}
	p, err := s.rest.close()
	s.parts = append(s.parts, p)
	return err
}

// sessionHeader is the header less its lines that set a global variable
// (MySQL's GTID_PURGED of a server with GTIDs): each connection sets the
// dump's session settings, the databases' part alone the rest.
func (s *splitter) sessionHeader() []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(s.header, []byte("\n")) {
		if !bytes.Contains(bytes.ToUpper(line), []byte("@@GLOBAL.")) {
			out = append(out, line...)
		}
	}
	return out
}

// databasesPart drops the dump's databases and creates them again with
// its own CREATE DATABASE lines, so that they hold exactly what the dump
// holds afterwards and exist before any table loads.
func (s *splitter) databasesPart() (dumpPart, error) {
	var names []string
	for _, c := range s.creates {
		if m := createDB.FindSubmatch(c.text); m != nil {
			names = append(names, string(m[1]))
		}
	}
	w, err := s.create("databases", append(bytes.Clone(s.header), dropDatabases(names)...))
	if err != nil {
		return dumpPart{}, err
	}
	for _, c := range s.creates {
		w.run(c.line)
		if err := w.write(c.text); err != nil {
			return dumpPart{}, err
		}
	}
	return w.close()
}

// create opens a part's file and writes its prefix.
func (s *splitter) create(name string, prefix []byte) (*partWriter, error) {
	path := filepath.Join(s.dir, name+".sql.gz")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, localError("create", err)
	}
	// The speed gzip -1 has: the parts are written once and read once.
	gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	w := &partWriter{f: f, gz: gz, part: dumpPart{Path: path}}
	return w, w.write(prefix)
}

// partWriter writes one part, compressed, counting its lines.
type partWriter struct {
	f     *os.File
	gz    *gzip.Writer
	part  dumpPart
	lines int
}

// run says the next line is the dump's line from.
func (w *partWriter) run(from int) {
	w.part.runs = append(w.part.runs, lineRun{at: w.lines + 1, from: from})
}

func (w *partWriter) write(b []byte) error {
	w.lines += bytes.Count(b, []byte("\n"))
	if _, err := w.gz.Write(b); err != nil {
		return localError("write", err)
	}
	return nil
}

// close ends the part with doneQuery and counts its lines. (The file is
// read once, soon, by this process: it is not synced.)
func (w *partWriter) close() (dumpPart, error) {
	w.run(0)
	err := w.write([]byte(doneQuery))
	if err == nil {
		err = w.gz.Close()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return w.part, localError("write", err)
	}
	w.part.lines = w.lines
	return w.part, nil
}

// unquote reads an identifier as mysqldump quotes it in a comment.
func unquote(b []byte) string { return string(bytes.ReplaceAll(b, []byte("``"), []byte("`"))) }

package backup

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"
)

// splitSample is a mysqldump of --databases as MariaDB writes it: two
// databases, three tables (one with a trigger), a view, a routine.
const splitSample = `/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19-11.8.3-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: app
-- ------------------------------------------------------
-- Server version	10.11.14-MariaDB-0+deb12u2-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;

--
-- Current Database: ` + "`app`" + `
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ ` + "`app`" + ` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;

USE ` + "`app`" + `;

--
-- Table structure for table ` + "`orders`" + `
--

DROP TABLE IF EXISTS ` + "`orders`" + `;
CREATE TABLE ` + "`orders`" + ` (
  ` + "`id`" + ` int(11) NOT NULL,
  PRIMARY KEY (` + "`id`" + `)
);

--
-- Dumping data for table ` + "`orders`" + `
--

LOCK TABLES ` + "`orders`" + ` WRITE;
INSERT INTO ` + "`orders`" + ` VALUES
(1),
(2);
UNLOCK TABLES;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50003 TRIGGER t_orders BEFORE INSERT ON orders FOR EACH ROW SET NEW.id = NEW.id */;;
DELIMITER ;

--
-- Table structure for table ` + "`items`" + `
--

DROP TABLE IF EXISTS ` + "`items`" + `;
CREATE TABLE ` + "`items`" + ` (` + "`id`" + ` int(11) NOT NULL);

--
-- Dumping data for table ` + "`items`" + `
--

LOCK TABLES ` + "`items`" + ` WRITE;
INSERT INTO ` + "`items`" + ` VALUES
(7);
UNLOCK TABLES;

--
-- Temporary table structure for view ` + "`v`" + `
--

DROP TABLE IF EXISTS ` + "`v`" + `;
CREATE TABLE ` + "`v`" + ` (` + "`id`" + ` tinyint NOT NULL) ENGINE=MyISAM */;

--
-- Dumping routines for database 'app'
--
DELIMITER ;;
CREATE PROCEDURE p() SELECT 1 ;;
DELIMITER ;

--
-- Current Database: ` + "`other`" + `
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ ` + "`other`" + ` /*!40100 DEFAULT CHARACTER SET latin1 */;

USE ` + "`other`" + `;

--
-- Table structure for table ` + "`notes`" + `
--

DROP TABLE IF EXISTS ` + "`notes`" + `;
CREATE TABLE ` + "`notes`" + ` (` + "`n`" + ` text);

--
-- Dumping data for table ` + "`notes`" + `
--

LOCK TABLES ` + "`notes`" + ` WRITE;
INSERT INTO ` + "`notes`" + ` VALUES
('-- Table structure for table ` + "`x`" + ` in a string');
UNLOCK TABLES;

--
-- Current Database: ` + "`app`" + `
--

USE ` + "`app`" + `;

--
-- Final view structure for view ` + "`v`" + `
--

DROP VIEW IF EXISTS ` + "`v`" + `;
CREATE VIEW ` + "`v`" + ` AS SELECT id FROM orders;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;

-- Dump completed on 2026-12-07  3:00:00
`

func splitString(t *testing.T, dump string) (*splitDump, []string) {
	t.Helper()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(dump))
	w.Close()
	sum := sha256.Sum256(gz.Bytes())
	d, err := split(bytes.NewReader(gz.Bytes()), Gzip, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		return nil, nil
	}
	if d.sha256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s, want the file's %s", d.sha256, hex.EncodeToString(sum[:]))
	}
	var texts []string
	for _, p := range d.Parts {
		f, err := os.Open(p.Path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	return d, texts
}

func TestSplitCutsTheDumpByTable(t *testing.T) {
	d, texts := splitString(t, splitSample)
	if len(d.Parts) != 5 {
		t.Fatalf("%d parts, want the databases, 3 tables and the rest", len(d.Parts))
	}
	header := splitSample[:strings.Index(splitSample, "-- Current Database")]
	want := []struct {
		table    string
		has      []string
		hasNot   []string
		startsAt string // the first line after the header
	}{
		{"", []string{"DROP DATABASE IF EXISTS `app`;\nDROP DATABASE IF EXISTS `other`;\n", "DEFAULT CHARACTER SET utf8mb4", "DEFAULT CHARACTER SET latin1"}, []string{"CREATE TABLE", "INSERT"}, "DROP DATABASE"},
		{"`app`.`orders`", []string{"CREATE TABLE `orders`", "(2);", "TRIGGER t_orders"}, []string{"items", "other", "CREATE DATABASE"}, "USE `app`;"},
		{"`app`.`items`", []string{"CREATE TABLE `items`", "(7);"}, []string{"orders", "VIEW", "PROCEDURE"}, "USE `app`;"},
		{"`other`.`notes`", []string{"CREATE TABLE `notes`", "in a string"}, []string{"items", "VIEW"}, "USE `other`;"},
		{"", []string{"Temporary table structure for view", "CREATE PROCEDURE", "CREATE VIEW", "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `other`", "Dump completed"}, []string{"INSERT", "CREATE TABLE `orders`"}, "-- Current Database: `app`"},
	}
	for i, w := range want {
		p, text := d.Parts[i], texts[i]
		if p.Table != w.table {
			t.Errorf("part %d is of table %q, want %q", i, p.Table, w.table)
		}
		if !strings.HasPrefix(text, header+w.startsAt) {
			t.Errorf("part %d does not start with the dump's settings, then %q:\n%s", i, w.startsAt, text)
		}
		if !strings.HasSuffix(text, doneQuery) {
			t.Errorf("part %d does not end with the done query", i)
		}
		for _, s := range w.has {
			if !strings.Contains(text, s) {
				t.Errorf("part %d lacks %q:\n%s", i, s, text)
			}
		}
		for _, s := range w.hasNot {
			if strings.Contains(strings.TrimPrefix(text, header), s) {
				t.Errorf("part %d has %q, which belongs elsewhere:\n%s", i, s, text)
			}
		}
	}
}

// Every line of the dump after its settings is in one part, once; a line
// of a part names the dump's line.
func TestSplitKeepsEveryLineOnceAndNamesItsLine(t *testing.T) {
	d, texts := splitString(t, splitSample)
	dumpLines := strings.SplitAfter(splitSample, "\n")
	headerLines := strings.Count(splitSample[:strings.Index(splitSample, "-- Current Database")], "\n")
	seen := make([]int, len(dumpLines)+1)
	for i, text := range texts {
		for n, line := range strings.SplitAfter(text, "\n") {
			at := d.Parts[i].dumpLine(n + 1)
			if at == 0 {
				continue
			}
			if dumpLines[at-1] != line {
				t.Fatalf("part %d line %d %q: named the dump's line %d, which is %q", i, n+1, line, at, dumpLines[at-1])
			}
			seen[at]++
		}
	}
	for n := headerLines + 1; n < len(dumpLines); n++ {
		creates := strings.HasPrefix(dumpLines[n-1], "CREATE DATABASE")
		if want := map[bool]int{false: 1, true: 2}[creates]; seen[n] != want {
			t.Errorf("the dump's line %d %q is in %d parts, want %d", n, dumpLines[n-1], seen[n], want)
		}
	}
}

// A global setting of the dump's header (MySQL's GTID_PURGED) runs once,
// in the databases' part; the session settings run in every part.
func TestSplitSetsGlobalsOnce(t *testing.T) {
	global := "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'a:1-5';\n"
	dump := strings.Replace(splitSample, "\n--\n-- Current Database", "\n"+global+"--\n-- Current Database", 1)
	d, texts := splitString(t, dump)
	for i, text := range texts {
		if got, want := strings.Count(text, global), map[bool]int{true: 1}[i == 0]; got != want {
			t.Errorf("part %d (%s) sets GTID_PURGED %d times, want %d", i, d.Parts[i].Table, got, want)
		}
		if !strings.Contains(text, "FOREIGN_KEY_CHECKS=0") {
			t.Errorf("part %d (%s) lacks the session's settings", i, d.Parts[i].Table)
		}
	}
}

func TestSplitLeavesADumpWithoutDatabasesWhole(t *testing.T) {
	d, _ := splitString(t, "-- MySQL dump 10.13\nCREATE TABLE `t` (`a` int);\n-- Dump completed\n")
	if d != nil {
		t.Fatalf("a dump without --databases split into %d parts", len(d.Parts))
	}
}

func TestDefaultParallelFollowsTheCPULimit(t *testing.T) {
	for cpus, want := range map[float64]int{0: 4, 0.25: 2, 1: 2, 2: 3, 3.5: 5, 64: 8} {
		if got := defaultParallel(cpus); got != want {
			t.Errorf("defaultParallel(%v) = %d, want %d", cpus, got, want)
		}
	}
	if got := (&database{cpus: 2}).parallel(1); got != 1 {
		t.Errorf("--parallel 1 with 2 CPUs gave %d connections", got)
	}
}

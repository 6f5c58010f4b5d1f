package backup

import (
	"slices"
	"strings"
	"testing"
)

func TestVerifyCountsTablesAndRows(t *testing.T) {
	long := "(7,'" + strings.Repeat("x", 70000) + "')"
	dump := strings.Join([]string{
		"-- MariaDB dump 10.19",
		"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;",
		"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `ledger` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;",
		"USE `shop`;",
		"CREATE TABLE `orders` (",
		"  `id` int(11) NOT NULL,",
		"  `note` text",
		");",
		// MySQL: all rows on one line, strings with quotes, parentheses,
		// semicolons and escapes in them.
		`INSERT INTO ` + "`orders`" + ` VALUES (1,'a;(b)'),(2,'it\'s \\'),(3,"(\"x\")"),(4,NULL),` + long + `;`,
		"/*!50001 CREATE VIEW `v` AS SELECT 1 AS `id` */;",
		"USE `mysql`;", // not a database the dump creates
		"CREATE TABLE `ignored` (`id` int);",
		"INSERT INTO `ignored` VALUES (1),(2);",
		"USE `ledger`;",
		"CREATE TABLE `entries` (`id` int, `memo` varchar(10));",
		"CREATE TABLE `empty` (`id` int);",
		// MariaDB: one row per line.
		"INSERT INTO `entries` VALUES",
		"(1,'x),('),",
		"(2,'');",
		"-- Dump completed on 2026-11-28 10:00:00",
		"",
	}, "\n")
	d, err := Verify(writeBackup(t, gzipMember(dump)))
	if err != nil {
		t.Fatal(err)
	}
	got := d.counts
	want := []Count{{"shop", true, 1, 5}, {"ledger", true, 2, 2}}
	if !slices.Equal(got, want) {
		t.Errorf("Verify counted %v, want %v", got, want)
	}
}

package binlog

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/replication"
)

// Server is how the archiver reaches the database: as its own user, which
// may read the binary logs and nothing else (REPLICATION SLAVE and
// REPLICATION CLIENT, or BINLOG MONITOR on MariaDB).
type Server struct {
	Address  string
	User     string
	Password string
	// ReplicaID is the server id the archiver presents; it must differ
	// from the database's and any replica's.
	ReplicaID uint32
}

// logFile is one of the server's binary logs.
type logFile struct {
	Name string
	Size uint64
}

// serverLogs is what inspect learns of a server.
type serverLogs struct {
	flavor string
	// logs are its binary logs, oldest first.
	logs []logFile
	// galera is the cluster's GTID domain on a member of a Galera
	// cluster with wsrep_gtid_mode, nil elsewhere.
	galera *uint32
}

// inspect asks the server which flavour it is, which binary logs it holds
// and whether it is a member of a Galera cluster.
func (s Server) inspect(ctx context.Context) (serverLogs, error) {
	var out serverLogs
	conn, err := client.ConnectWithContext(ctx, s.Address, s.User, s.Password, "", 10*time.Second)
	if err != nil {
		return out, fmt.Errorf("connecting to %s as %s: %w", s.Address, s.User, err)
	}
	defer conn.Close()
	out.flavor = "mysql"
	if strings.Contains(strings.ToLower(conn.GetServerVersion()), "mariadb") {
		out.flavor = "mariadb"
		out.galera = galeraDomain(conn)
	}
	r, err := conn.Execute("SHOW BINARY LOGS")
	if err != nil {
		return out, fmt.Errorf("listing the binary logs on %s (are they on? log_bin in my.cnf): %w", s.Address, err)
	}
	defer r.Close()
	for i := 0; i < r.RowNumber(); i++ {
		name, _ := r.GetString(i, 0)
		size, _ := r.GetUint(i, 1)
		out.logs = append(out.logs, logFile{Name: name, Size: size})
	}
	if len(out.logs) == 0 {
		return out, fmt.Errorf("%s writes no binary logs: turn them on (log_bin) in its my.cnf", s.Address)
	}
	return out, nil
}

// galeraDomain is the GTID domain of a Galera member's replicated
// transactions, nil on a server outside a cluster (or one that does not
// give every member the same GTIDs).
func galeraDomain(conn *client.Conn) *uint32 {
	r, err := conn.Execute("SELECT @@global.wsrep_on, @@global.wsrep_gtid_mode, @@global.wsrep_gtid_domain_id")
	if err != nil {
		return nil
	}
	defer r.Close()
	on, _ := r.GetInt(0, 0)
	mode, _ := r.GetInt(0, 1)
	domain, err := r.GetUint(0, 2)
	if on != 1 || mode != 1 || err != nil {
		return nil
	}
	d := uint32(domain)
	return &d
}

// syncer streams the binary logs raw, as the server wrote them, with
// heartbeats when it has nothing to send; it does not reconnect by
// itself, so the archiver sees every break and resumes from what it
// stored.
// eventsAhead bounds the events received and not yet taken.
const eventsAhead = 8

func (s Server) syncer(flavor string) (*replication.BinlogSyncer, error) {
	host, port, err := net.SplitHostPort(s.Address)
	if err != nil {
		return nil, fmt.Errorf("the database's address %q is not HOST:PORT: %w", s.Address, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("the database's address %q has no port number", s.Address)
	}
	// MariaDB leaves out its annotate-rows events unless asked, and the
	// archive would miss their bytes.
	var flags uint16
	if flavor == "mariadb" {
		flags = replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT
	}
	return replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		DumpCommandFlag: flags,
		ServerID:        s.ReplicaID, Flavor: flavor, Host: host, Port: uint16(p),
		User: s.User, Password: s.Password, RawModeEnabled: true,
		HeartbeatPeriod: heartbeat, ReadTimeout: 3 * heartbeat, DisableRetrySync: true,
		// go-mysql reads ahead up to this many events while a chunk is
		// stored (10240 by default): catching up over a restore's load,
		// whose every INSERT brings an annotate event of a megabyte, that
		// queue was OOM-killed in the pod (280 MB peak here on a local
		// folder, 150 MB with 8). A short queue lets TCP hold the server
		// back.
		EventCacheCount: eventsAhead,
		Logger:          quietLogger,
	}), nil
}

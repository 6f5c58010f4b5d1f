package binlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// reach inspects the server the archiver follows, else the next one that
// answers in the order given (the members of the HA tier), and follows
// that one from then on.
func (a *Archiver) reach(ctx context.Context, s *stream) (Server, serverLogs, error) {
	var errs []error
	for i := range a.Servers {
		at := (s.member + i) % len(a.Servers)
		sl, err := a.Servers[at].inspect(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if at != s.member {
			a.logf("following %s: %s does not answer (%v)", a.Servers[at].Address, a.Servers[s.member].Address, errs[0])
			s.member = at
		}
		return a.Servers[at], sl, nil
	}
	return Server{}, serverLogs{}, errors.Join(errs...)
}

// resume is where the stream takes up the archive on this server; gap
// says why, when it cannot without one. When the archive ends in another
// member's binary logs, the same transactions are in this member's under
// other names and offsets: it resumes at the start of the newest of its
// logs that begins no later than the archive's last transaction (those
// already archived are stored twice, and a replay applies them once), or
// where the archive already holds that log up to.
func (a *Archiver) resume(ctx context.Context, server Server, sl serverLogs, s *stream) (Position, string, error) {
	if s.seq == nil && sl.galera != nil {
		s.seq = &sequence{domain: *sl.galera}
		if s.stored != nil && s.stored.GTIDs != nil {
			s.seq.done = s.stored.GTIDs.To
		}
	}
	start, gap := startAt(s.stored, sl.logs)
	if gap == "" || s.seq == nil {
		return start, gap, nil
	}
	file, ok, err := server.locate(ctx, sl, s.seq.done)
	switch {
	case err != nil:
		return Position{}, "", err
	case !ok:
		return start, fmt.Sprintf("%s holds no binary log from the archive's last transaction (GTID %d-*-%d) on: purged, or begun anew by a full state transfer", server.Address, s.seq.domain, s.seq.done), nil
	}
	arc, err := Read(ctx, a.Location)
	if err != nil {
		return Position{}, "", err
	}
	if last := arc.lastOf(file); last != nil {
		start, gap = startAt(last, sl.logs)
		return start, gap, nil
	}
	return Position{File: file}, "", nil
}

// locate is the newest of the member's binary logs that begins no later
// than the domain's transaction seq; ok is false when every one begins
// after it.
func (s Server) locate(ctx context.Context, sl serverLogs, seq uint64) (file string, ok bool, err error) {
	q := sequence{domain: *sl.galera}
	for i := len(sl.logs) - 1; i >= 0; i-- {
		begins, err := s.begins(ctx, sl.flavor, sl.logs[i].Name, q)
		if err != nil {
			return "", false, err
		}
		if begins <= seq {
			return sl.logs[i].Name, true, nil
		}
	}
	return "", false, nil
}

// begins reads where a binary log begins in the domain's sequence: its
// GTID list, which follows the format description in every MariaDB log.
func (s Server) begins(ctx context.Context, flavor, file string, q sequence) (uint64, error) {
	syncer, err := s.syncer(flavor)
	if err != nil {
		return 0, err
	}
	defer syncer.Close()
	st, err := syncer.StartSync(mysql.Position{Name: file, Pos: 4})
	if err != nil {
		return 0, fmt.Errorf("reading the start of %s on %s: %w", file, s.Address, err)
	}
	for {
		evCtx, cancel := context.WithTimeout(ctx, 3*heartbeat)
		ev, err := st.GetEvent(evCtx)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("reading the start of %s on %s: %w", file, s.Address, err)
		}
		if ev.Header.LogPos == 0 || ev.Header.EventType == replication.FORMAT_DESCRIPTION_EVENT {
			continue
		}
		if seq, isList := q.listed(ev); isList {
			return seq, nil
		}
		return 0, fmt.Errorf("%s on %s does not begin with a GTID list", file, s.Address)
	}
}

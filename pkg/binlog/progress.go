package binlog

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status is what the archiver reports: to Prometheus and, for `kubectl
// stack status`, in a ConfigMap of the stack.
type Status struct {
	// ArchivedThrough is the moment up to which everything the server
	// wrote is known to be in the location; the lag is its age.
	ArchivedThrough time.Time `json:"archivedThrough"`
	// Newest is the end of the newest chunk stored, NewestEvent its time.
	Newest      Position  `json:"newest"`
	NewestEvent time.Time `json:"newestEvent,omitempty"`
	// Gap says why the archive misses events, while no backup was taken
	// after them; Since is when it was found.
	Gap      string    `json:"gap,omitempty"`
	GapSince time.Time `json:"gapSince,omitempty"`
	GapAt    *Position `json:"gapAt,omitempty"`
	// Windows are what a point-in-time restore reaches now.
	Windows []Window `json:"windows"`
	// Restarts counts the server restarts the archiver saw.
	Restarts int       `json:"restarts"`
	Updated  time.Time `json:"updated"`
}

// Lag is how far behind the server the archive may be, at now.
func (s Status) Lag(now time.Time) time.Duration {
	if s.ArchivedThrough.IsZero() {
		return 0
	}
	return max(now.Sub(s.ArchivedThrough), 0)
}

// Progress is the archiver's state, safe to read while it runs.
type Progress struct {
	mu sync.Mutex
	s  Status
}

// NewProgress starts from what an earlier archiver reported, if anything.
func NewProgress(earlier *Status) *Progress {
	p := &Progress{}
	if earlier != nil {
		p.s = *earlier
	}
	return p
}

// Status is a copy of the state now.
func (p *Progress) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.s
	s.Updated = time.Now().UTC()
	return s
}

func (p *Progress) update(f func(s *Status)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.s)
}

// loaded takes what the archive says: its newest chunk, and a gap before
// its newest stretch.
func (p *Progress) loaded(a *Archive) {
	p.update(func(s *Status) {
		if c := a.newest(); c != nil {
			s.Newest, s.NewestEvent = Position{c.File, c.End}, c.Last
			if s.ArchivedThrough.IsZero() {
				s.ArchivedThrough = c.Last
			}
		}
		at := a.newestAt()
		if at < 0 || s.Gap != "" {
			return
		}
		newest := a.segmentOf(at)
		if prev, linked := a.before(newest); prev >= 0 && !linked {
			g := a.gap(prev, newest)
			s.Gap, s.GapSince, s.GapAt = "the archive misses the events "+g.String(), time.Now().UTC(), &g.Resume
		}
	})
}

// contact is a heartbeat from the server; idle says nothing it sent
// waits to be stored, so the archive holds everything up to now.
func (p *Progress) contact(idle bool) {
	if idle {
		p.update(func(s *Status) { s.ArchivedThrough = time.Now().UTC() })
	}
}

// stored records a chunk in the location, its newest event received at
// the time given.
func (p *Progress) stored(c Chunk, received time.Time) {
	p.update(func(s *Status) {
		s.Newest, s.NewestEvent, s.ArchivedThrough = Position{c.File, c.End}, c.Last, received.UTC()
	})
}

func (p *Progress) gapFound(reason string, at Position) {
	p.update(func(s *Status) { s.Gap, s.GapSince, s.GapAt = reason, time.Now().UTC(), &at })
}

// gapCovered clears the gap once a backup starts after it.
func (p *Progress) gapCovered() {
	p.update(func(s *Status) { s.Gap, s.GapSince, s.GapAt = "", time.Time{}, nil })
}

func (p *Progress) restarted() { p.update(func(s *Status) { s.Restarts++ }) }

// Register adds the archiver's metrics to a Prometheus registry.
func (p *Progress) Register(r prometheus.Registerer) error {
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "binlog_archive_lag_seconds",
			Help: "Seconds since the archive was last known to hold everything the server wrote."},
			func() float64 { return p.Status().Lag(time.Now()).Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "binlog_archive_gap",
			Help: "1 while the archive misses events and no backup was taken after them, else 0."},
			func() float64 {
				if p.Status().Gap != "" {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "binlog_archive_newest_event_timestamp_seconds",
			Help: "Time of the newest event stored, in seconds since the epoch."},
			func() float64 { return float64(p.Status().NewestEvent.Unix()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "binlog_archive_server_restarts_total",
			Help: "Server restarts the archiver saw in the binary logs."},
			func() float64 { return float64(p.Status().Restarts) }),
	}
	for _, g := range gauges {
		if err := r.Register(g); err != nil {
			return err
		}
	}
	return nil
}

package binlog

// The segments of one server's logs follow each other by file name. On the
// HA tier the archive holds stretches of several members' logs, and a
// stretch of one member takes up another's where their GTIDs meet: the
// replay goes on from the first into the second without a gap.

// links says segment j takes up segment i without a gap: j begins at the
// start of a file (a replay needs its format description) no later in the
// cluster's GTIDs than i ends, and reaches further.
func (a *Archive) links(i, j int) bool {
	s, n := a.Segments[i].GTIDs, a.Segments[j].GTIDs
	return i != j && s != nil && n != nil && s.Domain == n.Domain &&
		a.Chunks[a.Segments[j].chunks[0]].Start == 0 && n.From <= s.To && s.To < n.To
}

// after is the segment a replay goes on with after segment i, -1 for
// none; linked is false across a gap. Linked, it takes the one reaching
// furthest; across a gap on the HA tier, the next in the GTIDs.
func (a *Archive) after(i int) (next int, linked bool) {
	s := a.Segments[i].GTIDs
	if s == nil {
		if i+1 < len(a.Segments) {
			return i + 1, false
		}
		return -1, false
	}
	next = -1
	for j, n := range a.Segments {
		switch {
		case a.links(i, j):
			if !linked || n.GTIDs.To > a.Segments[next].GTIDs.To {
				next, linked = j, true
			}
		case !linked && n.GTIDs != nil && n.GTIDs.Domain == s.Domain && n.GTIDs.From > s.To:
			if next < 0 || n.GTIDs.From < a.Segments[next].GTIDs.From {
				next = j
			}
		}
	}
	return next, linked
}

// before is the segment segment j takes up, -1 for none (the archive's
// first); linked is false across a gap.
func (a *Archive) before(j int) (prev int, linked bool) {
	n := a.Segments[j].GTIDs
	if n == nil {
		return j - 1, false
	}
	prev = -1
	for i, s := range a.Segments {
		switch {
		case a.links(i, j):
			return i, true
		case s.GTIDs != nil && s.GTIDs.Domain == n.Domain && s.GTIDs.To < n.From:
			if prev < 0 || s.GTIDs.To > a.Segments[prev].GTIDs.To {
				prev = i
			}
		}
	}
	return prev, false
}

// reach is the newest event a replay from segment i reaches without
// crossing a gap.
func (a *Archive) reach(i int) Segment {
	for {
		next, linked := a.after(i)
		if !linked {
			return a.Segments[i]
		}
		i = next
	}
}

// segmentOf is the segment holding chunk c.
func (a *Archive) segmentOf(c int) int {
	for i, s := range a.Segments {
		for _, k := range s.chunks {
			if k == c {
				return i
			}
		}
	}
	return -1
}

package lifeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Round is a testing round as a community runs it on a mass-testing day:
// every resident of a community, or of some of its buildings, to be
// sampled by a deadline, mostly in pooled tubes. Who is to be sampled is
// fixed when the round opens (the residents on the roster then).
type Round struct {
	ID        int64
	Community string
	// Buildings limits the round to some buildings; none means the whole
	// community.
	Buildings []string
	// Pool is how many people share a tube: 10 (10合1), 20 in low-risk
	// areas, or 1 for single tubes.
	Pool int
	// StartsAt and DueAt are the round's window: samples registered in the
	// round count whenever they are taken, and results from elsewhere
	// count when they were sampled inside it.
	StartsAt  time.Time
	DueAt     time.Time
	CreatedBy string
	CreatedAt time.Time
	// Residents is how many were to be sampled when the round opened.
	Residents int
}

// Pools are the pool sizes a round may have.
var Pools = []int{10, 20, 1}

// ParsePool reads a --pool value: 10, 20 or 1 (also "10合1").
func ParsePool(s string) (int, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "合1")
	n, err := strconv.Atoi(s)
	if err != nil || !slices.Contains(Pools, n) {
		return 0, Errorf(EINVALID, T("混管人数应为 10、20 或 1（单管）", "the pool size must be 10, 20 or 1 (single tubes)"))
	}
	return n, nil
}

// Validate checks a round before it is opened, and tidies its buildings.
func (r *Round) Validate() error {
	r.Community = strings.TrimSpace(r.Community)
	if r.Community == "" {
		return Errorf(EINVALID, T("请给出社区", "the round needs a community"))
	}
	if !slices.Contains(Pools, r.Pool) {
		return Errorf(EINVALID, T("混管人数应为 10、20 或 1（单管）", "the pool size must be 10, 20 or 1 (single tubes)"))
	}
	if r.DueAt.IsZero() || !r.DueAt.After(r.StartsAt) {
		return Errorf(EINVALID, T("截止时间应晚于开始时间", "the deadline must be after the round starts"))
	}
	var bs []string
	for _, b := range r.Buildings {
		if b = strings.TrimSpace(b); b != "" && !slices.Contains(bs, b) {
			bs = append(bs, b)
		}
	}
	r.Buildings = bs
	return nil
}

// Covers reports whether a sample taken at t falls inside the round's
// window.
func (r *Round) Covers(t time.Time) bool {
	return !t.Before(r.StartsAt) && !t.After(r.DueAt)
}

// Where names what the round covers: the community, and its buildings
// when it is limited to some.
func (r *Round) Where(l Lang) string {
	if len(r.Buildings) == 0 {
		return r.Community
	}
	return r.Community + " " + strings.Join(r.Buildings, l.Pick("、", ", ")) + l.Pick("栋", "")
}

// PoolLabel is the pool size as workers say it: 10合1, or 单管.
func PoolLabel(n int, l Lang) string {
	if n == 1 {
		return l.Pick("单管", "single tubes")
	}
	return l.Pick(fmt.Sprintf("%d合1", n), fmt.Sprintf("%d to a tube", n))
}

// ParseWhen reads a time as staff write one (a round's deadline, when a
// visit was made): a time today ("18:00"), a date and time ("2022-04-10
// 18:00", "04-10 18:00"), a day (its end) or RFC 3339, in China time
// unless a zone is given.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	local := now.In(ChinaTime)
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006/01/02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, ChinaTime); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(24*time.Hour - time.Minute) // the end of that day
			}
			return t, nil
		}
	}
	for _, layout := range []string{"01-02 15:04", "1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, ChinaTime); err == nil {
			return time.Date(local.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, ChinaTime), nil
		}
	}
	if t, err := time.ParseInLocation("15:04", s, ChinaTime); err == nil {
		return time.Date(local.Year(), local.Month(), local.Day(), t.Hour(), t.Minute(), 0, 0, ChinaTime), nil
	}
	return time.Time{}, Errorf(EINVALID, T("无法识别的时间“"+s+"”，请写成 18:00 或 2022-04-10 18:00", "unrecognised time \""+s+"\": write 18:00 or 2022-04-10 18:00"))
}

// SampleState is whether a resident is still to be sampled in a round.
// Whether their result is in is their test's (Resident.Status), not the
// round's: a round asks only who is still to be found.
type SampleState string

// Sample states.
const (
	Unsampled SampleState = "missing" // not sampled yet (again, after a positive pool)
	Sampled   SampleState = "sampled" // sampled in the round, or a result of a sample inside it is in
)

// RoundMember is one resident's standing in a round.
type RoundMember struct {
	RoundID    int64
	ResidentID int64
	State      SampleState
	// Retest: a pooled tube of theirs came back positive, so they are to
	// be found again and sampled alone. It stays set until a result of a
	// later sample is in.
	Retest bool
	// TubeID and SampledAt are those of their latest sample in the round
	// (TubeID 0: a sample registered alone, or none).
	TubeID    int64
	SampledAt time.Time
}

// Progress is which of the three counts of a round's progress the member
// is in.
func (m RoundMember) Progress() ProgressKind {
	switch {
	case m.Retest:
		return ProgressPooledPositive
	case m.State == Unsampled:
		return ProgressMissing
	}
	return ProgressDone
}

// AddedToTube is the member once a sample of theirs goes into a tube of
// the round holding size people: refused when they were sampled in the
// round already, or when they are to be retested alone and the tube is
// pooled.
func (m RoundMember) AddedToTube(tubeID int64, size int, at time.Time) (RoundMember, error) {
	if m.State != Unsampled {
		return m, Errorf(ECONFLICT, T("此人本轮已采样", "already sampled in this round"))
	}
	if m.Retest && size != 1 {
		return m, Errorf(ECONFLICT, T("混管阳性者须单管复检：请换一支新试管单独采样", "pooled positive: retest alone, in a tube of their own"))
	}
	m.State, m.TubeID, m.SampledAt = Sampled, tubeID, at
	return m, nil
}

// TubeSizeFor is the size of a tube holding members swabs once the
// member is added to it: a person to be retested alone turns an empty
// tube into a single tube.
func (m RoundMember) TubeSizeFor(size, members int) int {
	if m.Retest && members == 0 {
		return 1
	}
	return size
}

// RemovedFromTube is the member once their swab is taken out of an open
// tube again (added by mistake): still to be sampled, their latest sample
// in the round the one before (prevTube, prevAt; zero if none).
func (m RoundMember) RemovedFromTube(tubeID, prevTube int64, prevAt time.Time) RoundMember {
	if m.TubeID != tubeID || m.State != Sampled {
		return m
	}
	m.State, m.TubeID, m.SampledAt = Unsampled, prevTube, prevAt
	return m
}

// SampledAlone is the member once a sample of theirs taken at t was
// registered on its own (not in a tube of the round): it counts if they
// were still to be sampled; otherwise nothing changes.
func (m RoundMember) SampledAlone(at time.Time) RoundMember {
	if m.State != Unsampled {
		return m
	}
	m.State, m.TubeID, m.SampledAt = Sampled, 0, at
	return m
}

// Resulted is the member once a result of theirs is in. A result of a
// sample older than their latest in the round changes nothing (a late
// copy of an old result); a pooled positive puts them back among those to
// be sampled, to be retested alone; any other final result is the end of
// their round, a retest's included; a pending one means they were sampled.
func (m RoundMember) Resulted(r Result, sampledAt time.Time) RoundMember {
	if !m.SampledAt.IsZero() && sampledAt.Before(m.SampledAt) {
		return m
	}
	switch r {
	case Pending:
		if m.State == Unsampled {
			m.State = Sampled
		}
	case PooledPositive:
		m.State, m.Retest = Unsampled, true
	default:
		m.State, m.Retest = Sampled, false
	}
	m.SampledAt = sampledAt
	return m
}

// ProgressKind is one of the three counts of a round's progress.
type ProgressKind int

// The counts of a round's progress.
const (
	ProgressDone           ProgressKind = iota // sampled in the round
	ProgressPooledPositive                     // to be retested alone, or retested and waiting
	ProgressMissing                            // not sampled yet
)

// BuildingProgress counts a round's residents of one building.
type BuildingProgress struct {
	Building       string
	Total          int
	Done           int
	PooledPositive int
	Missing        int
}

// Add counts n members of one kind.
func (p *BuildingProgress) Add(k ProgressKind, n int) {
	p.Total += n
	switch k {
	case ProgressDone:
		p.Done += n
	case ProgressPooledPositive:
		p.PooledPositive += n
	default:
		p.Missing += n
	}
}

// Sum adds up the progress of buildings.
func Sum(ps []BuildingProgress) BuildingProgress {
	var t BuildingProgress
	for _, p := range ps {
		t.Total, t.Done, t.PooledPositive, t.Missing = t.Total+p.Total, t.Done+p.Done, t.PooledPositive+p.PooledPositive, t.Missing+p.Missing
	}
	return t
}

// Counts says the progress in words: 应采 500，已采 400，混管阳性 10，未采 90.
func (p BuildingProgress) Counts(l Lang) string {
	return fmt.Sprintf(l.Pick("应采 %d，已采 %d，混管阳性 %d，未采 %d", "%d people: done %d, pooled positive %d, missing %d"), p.Total, p.Done, p.PooledPositive, p.Missing)
}

// Line says which round it is, how it stands (p: its Sum) and by when,
// stored text escaped (Printable).
func (r *Round) Line(p BuildingProgress, l Lang) string {
	return Printable(fmt.Sprintf(l.Pick("第 %d 轮 %s %s，截止 %s：%s", "round %d, %s, %s, due %s: %s"),
		r.ID, r.Where(l), PoolLabel(r.Pool, l), r.DueAt.In(ChinaTime).Format("2006-01-02 15:04"), p.Counts(l)))
}

// RoundLines says how the rounds stand, newest first, one line each; for
// the round id (0: none), with a line for each of its buildings.
func RoundLines(ctx context.Context, rs RoundService, id int64, l Lang) ([]string, error) {
	rounds, err := rs.Rounds(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rounds {
		if id != 0 && r.ID != id {
			continue
		}
		ps, err := rs.RoundProgress(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Line(Sum(ps), l))
		for _, p := range ps {
			if id != 0 {
				out = append(out, "  "+Printable(p.Building)+l.Pick("栋", "")+"  "+p.Counts(l))
			}
		}
	}
	return out, nil
}

// Floor is the floor a room is on, read from its number as Chinese
// buildings number rooms (501 and 1203: floors 5 and 12); "" when the
// room is not such a number.
func Floor(room string) string {
	if len(room) < 3 || len(room) > 4 || strings.ContainsFunc(room, func(r rune) bool { return r < '0' || r > '9' }) {
		return ""
	}
	return strings.TrimLeft(room[:len(room)-2], "0")
}

// DoorKey orders addresses door to door: building, unit, floor, room,
// with numbers compared as numbers (building 2 before 12, room 501 before
// 1201), as bytes: each run of digits is written as its length and then
// its digits, so a plain byte comparison of two keys compares the numbers.
func DoorKey(a Address) string {
	var b strings.Builder
	for i, part := range []string{a.Building, a.Unit, Floor(a.Room), a.Room} {
		if i > 0 {
			b.WriteByte(0x1f)
		}
		for part != "" {
			n := 0
			for n < len(part) && part[n] >= '0' && part[n] <= '9' {
				n++
			}
			if n == 0 {
				b.WriteByte(part[0])
				part = part[1:]
				continue
			}
			digits := strings.TrimLeft(part[:n], "0")
			if digits == "" {
				digits = "0"
			}
			fmt.Fprintf(&b, "%02d%s", len(digits), digits)
			part = part[n:]
		}
	}
	return b.String()
}

// Age is how old someone born on birth is at now, in whole years; -1 if
// the birth date is unknown.
func Age(birth, now time.Time) int {
	if birth.IsZero() {
		return -1
	}
	n := now.In(ChinaTime)
	age := n.Year() - birth.Year()
	if n.Month() < birth.Month() || (n.Month() == birth.Month() && n.Day() < birth.Day()) {
		age--
	}
	return age
}

// RoundService opens testing rounds, fills their tubes, takes results by
// tube, and says who is still missing. What a staff member sees and
// changes is their own community's, as for residents.
type RoundService interface {
	// CreateRound opens a round with every resident then living where it
	// covers, and fills in its ID, CreatedAt and Residents.
	CreateRound(ctx context.Context, r *Round) error
	// Rounds returns a community's rounds ("": every one the actor may
	// see), newest first.
	Rounds(ctx context.Context, community string) ([]Round, error)
	Round(ctx context.Context, id int64) (*Round, error)
	// RoundProgress counts the round's residents per building, in door
	// order.
	RoundProgress(ctx context.Context, roundID int64) ([]BuildingProgress, error)
	// MissingList returns who is still to be sampled, door to door
	// (building, unit, floor, room, name), with their visits; the listing
	// is written to the audit log, and with Reveal each resident on it.
	MissingList(ctx context.Context, f MissingFilter) ([]MissingEntry, error)
	// MarkVisit stores a door-to-door visit to a resident of the round.
	MarkVisit(ctx context.Context, v *Visit) error

	// OpenTube starts a tube (RoundID, Code, Site; Size 0 is the round's
	// pool) or, when that barcode is an open tube of the round already,
	// fills t with it; a closed one, or one of another round, is a
	// conflict.
	OpenTube(ctx context.Context, t *Tube) error
	// AddToTube registers a resident's swab in an open tube, stored at
	// once; the tube closes when full. It is refused for a resident in
	// another open tube of the round, or already sampled in it.
	AddToTube(ctx context.Context, tubeID, residentID int64) (*Tube, error)
	// RemoveFromTube takes a resident's swab out of an open tube again.
	RemoveFromTube(ctx context.Context, tubeID, residentID int64) (*Tube, error)
	// CloseTube closes a tube before it is full, so it is delivered; an
	// empty tube is thrown away instead (nil, nil), its barcode free again.
	CloseTube(ctx context.Context, tubeID int64) (*Tube, error)
	// TubeByCode returns a tube with its members.
	TubeByCode(ctx context.Context, code string) (*Tube, error)
	// OpenTubes returns a round's open tubes with their members.
	OpenTubes(ctx context.Context, roundID int64) ([]Tube, error)
	// KnownTubes returns which of some barcodes are tubes in the store.
	KnownTubes(ctx context.Context, codes []string) (map[string]bool, error)
	// RecordTubeResult gives every member of a tube the tube's result
	// (see Tube.MemberResult), in one transaction with what follows from
	// it in rounds, and for a positive pool queues each member's "retest
	// alone" SMS. The same result again changes nothing.
	RecordTubeResult(ctx context.Context, r TubeResult) (TubeChange, error)

	// PendingTubes returns closed tubes not yet delivered, in the order
	// they were closed, with their members.
	PendingTubes(ctx context.Context, limit int) ([]Tube, error)
	MarkTubeDelivered(ctx context.Context, id int64, at time.Time) error
	MarkTubeFailed(ctx context.Context, id int64, msg string) error
}

package lifeline

import (
	"fmt"
	"strings"
	"time"
)

// Tube is a sample tube of a round, holding the swabs of up to Size
// people: it closes when full or when staff close it, and is then
// delivered upstream as one message with its members.
type Tube struct {
	ID      int64
	RoundID int64
	Code    string // the barcode on the tube
	// Size is how many people it holds: the round's pool, or 1 for a
	// retest.
	Size           int
	Site           string
	Staff          string
	IdempotencyKey string
	OpenedAt       time.Time
	ClosedAt       time.Time // zero while open
	DeliveredAt    time.Time // zero: waiting to send (once closed)
	Attempts       int
	LastError      string
	Result         Result // "" until the lab's result is in
	ResultAt       time.Time
	Members        []TubeMember // in the order they were added
}

// Open reports whether people can still be added.
func (t *Tube) Open() bool { return t.ClosedAt.IsZero() }

// TubeMember is one person's swab in a tube.
type TubeMember struct {
	RegistrationID int64
	ResidentID     int64
	Name           string
	SampledAt      time.Time
}

// ValidTubeCode checks a tube barcode as a scanner types it (trimmed):
// 1 to 40 visible ASCII characters.
func ValidTubeCode(code string) error {
	if code == "" {
		return Errorf(EINVALID, T("缺少试管条码", "the tube barcode is missing"))
	}
	if len(code) > 40 || strings.ContainsFunc(code, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return Errorf(EINVALID, T("试管条码应为不超过 40 个字母、数字或符号", "a tube barcode is at most 40 letters, digits or symbols"))
	}
	return nil
}

// TubeResult is the lab's result for a whole tube, from a results file
// (column 试管编码/tube) or the results API.
type TubeResult struct {
	Code   string
	Result Result
	// ExternalID is the sender's id for the result, if any.
	ExternalID string
	ReceivedAt time.Time
}

// MemberResult is what a tube's result means for each person in it: a
// positive pool is "pooled positive, retest alone" for each of its
// members, a positive single tube is that person's positive.
func (t *Tube) MemberResult(r Result) Result {
	if r == Positive && t.Size > 1 {
		return PooledPositive
	}
	return r
}

// TubeChange is what RecordTubeResult did.
type TubeChange struct {
	TubeID  int64
	Code    string
	Changed bool // false: the same result again
	// Result is what each member got (see Tube.MemberResult).
	Result  Result
	Members []TubeMemberResult
	// Queued counts the "retest alone" SMS queued for a positive pool.
	Queued int
}

// TubeMemberResult is one member's stored result.
type TubeMemberResult struct {
	ResidentID int64
	TestID     int64 // the stored test result's id
	Name       string
	Phones     []string
	SampledAt  time.Time
}

// PooledPositiveSMS tells a member of a positive pool to stay home for a
// single-tube retest: one SMS segment, the name masked.
func PooledPositiveSMS(name string, sampled time.Time) string {
	t := sampled.In(ChinaTime)
	return fmt.Sprintf("%s %d/%d采样的混管检测阳性，请留在家中等候单管复检，勿外出。回复查询看状态。", Printable(MaskName(name)), t.Month(), t.Day())
}

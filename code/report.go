package code

import (
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Report is a verification result as `lifeline verify --json` prints it,
// one JSON object a code, for programs at a checkpoint: the verdict, the
// reason's code (docs/offline-code.md) and words, and what the code
// claims once its signature has checked out.
type Report struct {
	Valid bool `json:"valid"`
	// GreenAtIssue and Verdict are what a checkpoint that automates acts
	// on: only valid_green lets a person through on the code alone.
	GreenAtIssue bool          `json:"green_at_issue"`
	Verdict      Verdict       `json:"verdict"`
	Reason       string        `json:"reason,omitempty"`
	ReasonText   string        `json:"reason_text"`
	SkewApplied  bool          `json:"skew_applied"`
	Warnings     []string      `json:"warnings,omitempty"`
	Lists        *ListsReport  `json:"lists,omitempty"`
	Serial       string        `json:"serial,omitempty"`
	KeyID        string        `json:"kid,omitempty"`
	Issuer       string        `json:"issuer,omitempty"`
	IssuedAt     *time.Time    `json:"issued_at,omitempty"`
	ExpiresAt    *time.Time    `json:"expires_at,omitempty"`
	Holder       *HolderReport `json:"holder,omitempty"`
}

// ListsReport is the state of a checkpoint's lists in a Report.
type ListsReport struct {
	AgeSeconds         int64 `json:"age_seconds"`
	Stale              bool  `json:"stale"`
	Expired            bool  `json:"expired"`
	ClockBehindSeconds int64 `json:"clock_behind_seconds,omitempty"`
}

// HolderReport is the holder a code names, masked as printed on it.
type HolderReport struct {
	MaskedName string     `json:"masked_name"`
	DocType    string     `json:"doc_type"`
	DocTail    string     `json:"doc_tail"`
	Color      string     `json:"color,omitempty"`
	Result     string     `json:"result,omitempty"`
	TestedAt   *time.Time `json:"tested_at,omitempty"`
}

// Report returns r's report, the reason worded in l.
func (r Result) Report(l lifeline.Lang) Report {
	rep := Report{Valid: r.Valid, GreenAtIssue: r.GreenAtIssue(), Verdict: r.Verdict(), Reason: string(r.Reason), ReasonText: r.Reason.Label(l), SkewApplied: r.SkewApplied}
	if r.KeyID != (KeyID{}) {
		rep.KeyID = r.KeyID.String()
	}
	if s := r.Lists; s.Held {
		rep.Lists = &ListsReport{AgeSeconds: int64(s.Age / time.Second), Stale: s.Stale, Expired: s.Expired, ClockBehindSeconds: int64(s.ClockBehind / time.Second)}
	}
	for _, w := range r.Lists.Warnings() {
		rep.Warnings = append(rep.Warnings, w.In(l))
	}
	if len(r.Claims.Serial) > 0 {
		c, h := r.Claims, r.Claims.Holder
		rep.Serial, rep.Issuer, rep.IssuedAt, rep.ExpiresAt = c.SerialString(), lifeline.Printable(c.Issuer), timePtr(c.IssuedAt), timePtr(c.ExpiresAt)
		rep.Holder = &HolderReport{MaskedName: lifeline.Printable(h.MaskedName), DocType: string(h.DocType), DocTail: h.DocTail, Color: string(h.Color), Result: string(h.Result), TestedAt: timePtr(h.TestedAt)}
	}
	return rep
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Line is r in one line for a person at a checkpoint, in l: VALID (and
// whether the holder was green at issue) or INVALID with the reason, then, once the signature has checked out, the
// masked holder, their status when the code was issued, its expiry,
// issuer and serial, in China time.
func (r Result) Line(l lifeline.Lang) string {
	var b strings.Builder
	switch r.Verdict() {
	case VerdictValidGreen:
		b.WriteString(l.Pick("VALID 有效", "VALID"))
	case VerdictValidNotGreen:
		b.WriteString(l.Pick("VALID 有效 · 签发时非绿码，请核实", "VALID · NOT GREEN AT ISSUE: check the holder"))
	default:
		b.WriteString(l.Pick("INVALID 无效", "INVALID"))
		label := r.Reason.Label(l)
		fmt.Fprintf(&b, l.Pick("  原因：%s", "  reason: %s"), label)
		if label != string(r.Reason) {
			fmt.Fprintf(&b, " (%s)", r.Reason)
		}
	}
	if len(r.Claims.Serial) == 0 {
		return b.String()
	}
	c, h := r.Claims, r.Claims.Holder
	fmt.Fprintf(&b, "  %s · %s", lifeline.Printable(h.MaskedName), lifeline.Printable(h.DocumentLine(l)))
	fmt.Fprintf(&b, l.Pick(" · 签发时：%s", " · at issue: %s"), h.Color.Label(l))
	if h.Result != "" {
		fmt.Fprintf(&b, l.Pick("，%s", ", %s"), h.Result.Label(l))
		if !h.TestedAt.IsZero() {
			fmt.Fprintf(&b, l.Pick("（采样 %s）", " (sampled %s)"), h.TestedAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"))
		}
	}
	fmt.Fprintf(&b, l.Pick(" · 有效至 %s", " · valid until %s"), c.ExpiresAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"))
	if c.Issuer != "" {
		fmt.Fprintf(&b, " · %s", lifeline.Printable(c.Issuer))
	}
	fmt.Fprintf(&b, l.Pick(" · 序列号 %s", " · serial %s"), c.SerialString())
	return b.String()
}

// Notes are the lines a person reads under a result: a code that passed
// only within the clock skew allowed, and what the lists warn of.
func (r Result) Notes(l lifeline.Lang) []string {
	var out []string
	if r.SkewApplied {
		out = append(out, l.Pick("注意：按允许的时钟偏差接受；请检查本机时间是否准确。", "note: accepted within the clock-skew allowance; check this device's clock."))
	}
	for _, w := range r.Lists.Warnings() {
		out = append(out, l.Pick("警告：", "warning: ")+w.In(l))
	}
	return out
}

// Tally counts results for an exit status that a checkpoint automating on
// it can trust: 0 only if every code was valid and its holder green at
// issue, 3 if every code was valid but a holder was not green, 1 if any
// code was invalid.
type Tally struct{ Invalid, NotGreen int }

// Add counts a result.
func (t *Tally) Add(r Result) {
	switch r.Verdict() {
	case VerdictInvalid:
		t.Invalid++
	case VerdictValidNotGreen:
		t.NotGreen++
	}
}

// ExitStatus is the exit status for the results counted.
func (t Tally) ExitStatus() int {
	switch {
	case t.Invalid > 0:
		return 1
	case t.NotGreen > 0:
		return 3
	}
	return 0
}

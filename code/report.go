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
	Valid       bool          `json:"valid"`
	Reason      string        `json:"reason,omitempty"`
	ReasonText  string        `json:"reason_text"`
	SkewApplied bool          `json:"skew_applied"`
	Serial      string        `json:"serial,omitempty"`
	KeyID       string        `json:"kid,omitempty"`
	Issuer      string        `json:"issuer,omitempty"`
	IssuedAt    *time.Time    `json:"issued_at,omitempty"`
	ExpiresAt   *time.Time    `json:"expires_at,omitempty"`
	Holder      *HolderReport `json:"holder,omitempty"`
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
	rep := Report{Valid: r.Valid, Reason: string(r.Reason), ReasonText: r.Reason.Label(l), SkewApplied: r.SkewApplied}
	if r.KeyID != (KeyID{}) {
		rep.KeyID = r.KeyID.String()
	}
	if len(r.Claims.Serial) > 0 {
		c, h := r.Claims, r.Claims.Holder
		rep.Serial, rep.Issuer, rep.IssuedAt, rep.ExpiresAt = c.SerialString(), c.Issuer, timePtr(c.IssuedAt), timePtr(c.ExpiresAt)
		rep.Holder = &HolderReport{MaskedName: h.MaskedName, DocType: string(h.DocType), DocTail: h.DocTail, Color: string(h.Color), Result: string(h.Result), TestedAt: timePtr(h.TestedAt)}
	}
	return rep
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Line is r in one line for a person at a checkpoint, in l: VALID or
// INVALID with the reason, then, once the signature has checked out, the
// masked holder, their status when the code was issued, its expiry,
// issuer and serial, in China time.
func (r Result) Line(l lifeline.Lang) string {
	var b strings.Builder
	if r.Valid {
		b.WriteString(l.Pick("VALID 有效", "VALID"))
	} else {
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
	fmt.Fprintf(&b, l.Pick("  %s · %s尾号 %s", "  %s · %s ending %s"), h.MaskedName, h.DocType.Label(l), h.DocTail)
	fmt.Fprintf(&b, l.Pick(" · 签发时：%s", " · at issue: %s"), h.Color.Label(l))
	if h.Result != "" {
		fmt.Fprintf(&b, l.Pick("，%s", ", %s"), h.Result.Label(l))
		if !h.TestedAt.IsZero() {
			fmt.Fprintf(&b, l.Pick("（采样 %s）", " (sampled %s)"), h.TestedAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"))
		}
	}
	fmt.Fprintf(&b, l.Pick(" · 有效至 %s", " · valid until %s"), c.ExpiresAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"))
	if c.Issuer != "" {
		fmt.Fprintf(&b, " · %s", c.Issuer)
	}
	fmt.Fprintf(&b, l.Pick(" · 序列号 %s", " · serial %s"), c.SerialString())
	return b.String()
}

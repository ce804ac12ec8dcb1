package code

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestReportAndLine: a valid code is reported with its holder, masked, in
// one line for people and as JSON for programs; a forged one says only
// why it was refused, naming no one.
func TestReportAndLine(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(60*24*time.Hour))
	payload, claims := issue(t, k, testHolder(lifeline.DocMainlandID))
	v := verifierFor(k)
	ok := v.Verify(payload)
	until := claims.ExpiresAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04")
	for l, want := range map[lifeline.Lang][]string{
		lifeline.En: {"VALID  张*丰 · ID card ending 123X · at issue: GREEN, negative (sampled ", " · valid until " + until, " · serial " + claims.SerialString()},
		lifeline.Zh: {"VALID 有效  张*丰 · ", "尾号 123X · 签发时：绿码，阴性（采样 ", " · 有效至 " + until},
	} {
		line := ok.Line(l)
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("%s line %q lacks %q", l, line, w)
			}
		}
	}
	var rep Report
	b, _ := json.Marshal(ok.Report(lifeline.En))
	if err := json.Unmarshal(b, &rep); err != nil || !rep.Valid || rep.Serial != claims.SerialString() || rep.KeyID != k.KID() ||
		rep.Holder == nil || rep.Holder.MaskedName != "张*丰" || rep.Holder.DocTail != "123X" || rep.Holder.Color != "green" || rep.ExpiresAt == nil {
		t.Fatalf("report %s: %+v %v", b, rep, err)
	}

	// A child with no document: the line names the document type alone.
	child := testHolder(lifeline.DocNone)
	child.DocTail = ""
	childPayload, _ := issue(t, k, child)
	if line := v.Verify(childPayload).Line(lifeline.En); !strings.Contains(line, " · no document · at issue") || strings.Contains(line, "ending") {
		t.Errorf("line of a child without a document: %q", line)
	}

	forged := v.Verify(payload[:len(payload)-2] + "AA")
	if forged.Valid {
		t.Fatal("a changed payload verified")
	}
	if line := forged.Line(lifeline.En); !strings.HasPrefix(line, "INVALID  reason: ") || strings.Contains(line, "张") || !strings.Contains(line, "("+string(forged.Reason)+")") {
		t.Errorf("forged line %q", line)
	}
	if rep := forged.Report(lifeline.En); rep.Valid || rep.Holder != nil || rep.Reason != string(forged.Reason) || rep.ReasonText == "" {
		t.Errorf("forged report %+v", rep)
	}
}

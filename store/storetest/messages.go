package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("messages/result_and_expiry_notices", testNotices)
	register("messages/phone_lang", testPhoneLang)
}

// noticeSet renders notices as "resident→phone" for comparison.
func noticeSet(ns []lifeline.Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprintf("%d→%s", n.ResidentID, n.Phone))
	}
	sort.Strings(out)
	return out
}

func testNotices(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 6) // households {0,1,2} {3,4,5}, each with its own phone
	_, newest, err := db.ResultNotices(c, -1, 0)
	must(t, err)
	const bare, pendingPhone = "+8613911112222", "+8613933334444"
	link := func(r lifeline.Relative, approve bool) {
		t.Helper()
		must(t, db.LinkRelative(c, &r))
		if approve {
			must(t, db.ReviewRelative(c, r.ID, true, "", "staff:li"))
		}
	}
	link(lifeline.Relative{ResidentID: rs[3].ID, Phone: bare, Relation: "子女"}, true)
	link(lifeline.Relative{ResidentID: rs[4].ID, RelativeResidentID: rs[0].ID, Relation: "子女"}, true)
	link(lifeline.Relative{ResidentID: rs[5].ID, Phone: pendingPhone, Relation: "子女"}, false)
	sampled := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	result := func(r lifeline.Resident, res lifeline.Result) {
		t.Helper()
		_, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: r.ID, Test: &lifeline.TestResult{SampledAt: sampled, Result: res, Site: "s"}})
		must(t, err)
	}
	result(rs[3], lifeline.Negative)
	result(rs[4], lifeline.Positive)
	result(rs[5], lifeline.Pending) // not a result yet: nobody is told
	result(rs[0], lifeline.Negative)

	ns, last, err := db.ResultNotices(c, newest, 100)
	must(t, err)
	want := []string{
		fmt.Sprintf("%d→%s", rs[3].ID, synth.Phone(3)), fmt.Sprintf("%d→%s", rs[3].ID, bare),
		fmt.Sprintf("%d→%s", rs[4].ID, synth.Phone(4)), fmt.Sprintf("%d→%s", rs[4].ID, synth.Phone(0)),
		fmt.Sprintf("%d→%s", rs[0].ID, synth.Phone(0)),
	}
	sort.Strings(want)
	if got := noticeSet(ns); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("result notices %v, want %v", got, want)
	}
	keys := map[string]bool{}
	for _, n := range ns {
		if n.Name == "" || n.SampledAt.IsZero() || n.Result == "" || keys[n.Key] {
			t.Fatalf("notice %+v (keys must be unique)", n)
		}
		keys[n.Key] = true
	}
	// Nothing after the last id; a limit of one result reads one result.
	more, again, err := db.ResultNotices(c, last, 100)
	must(t, err)
	if len(more) != 0 || again != last {
		t.Fatalf("after the last id: %v, %d (last %d)", more, again, last)
	}
	one, firstID, err := db.ResultNotices(c, newest, 1)
	must(t, err)
	if firstID <= newest || firstID >= last || len(one) != 2 || one[0].ResidentID != rs[3].ID {
		t.Fatalf("limit 1: %v up to %d", noticeSet(one), firstID)
	}

	now := time.Now()
	serial := func(i int) []byte { b := make([]byte, 16); b[15] = byte(i); return b }
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{
		{Serial: serial(1), ResidentID: rs[3].ID, KeyID: "0102030405060708", IssuedAt: now.Add(-27 * 24 * time.Hour), ExpiresAt: now.Add(48 * time.Hour)},
		{Serial: serial(2), ResidentID: rs[4].ID, KeyID: "0102030405060708", IssuedAt: now, ExpiresAt: now.Add(10 * 24 * time.Hour)},
		{Serial: serial(3), ResidentID: rs[0].ID, KeyID: "0102030405060708", IssuedAt: now.Add(-29 * 24 * time.Hour), ExpiresAt: now.Add(24 * time.Hour)},
	}))
	must(t, db.RevokeSerial(c, serial(3), "lost", "staff:test"))
	exp, err := db.ExpiryNotices(c, now, now.Add(72*time.Hour))
	must(t, err)
	want = []string{fmt.Sprintf("%d→%s", rs[3].ID, synth.Phone(3)), fmt.Sprintf("%d→%s", rs[3].ID, bare)}
	sort.Strings(want)
	if got := noticeSet(exp); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("expiry notices %v, want %v", got, want)
	}
	if exp[0].ExpiresAt.UnixMilli() != now.Add(48*time.Hour).UnixMilli() || exp[0].Key == exp[1].Key {
		t.Fatalf("expiry notice %+v", exp[0])
	}
}

// testPhoneLang: a number that texts in English is remembered as English
// (what the voice line speaks to it); back in Chinese, it is forgotten.
func testPhoneLang(t *testing.T, db *store.DB) {
	c := ctx(t)
	const a, b = "+8613800000001", "+447700900123"
	l, err := db.PhoneLang(c, a)
	must(t, err)
	if l != lifeline.Zh {
		t.Fatalf("a number never heard from: %s, want zh", l)
	}
	must(t, db.SetPhoneLang(c, a, lifeline.En))
	must(t, db.SetPhoneLang(c, a, lifeline.En))
	must(t, db.SetPhoneLang(c, b, lifeline.En))
	if l, err := db.PhoneLang(c, a); err != nil || l != lifeline.En {
		t.Fatalf("after English: %s, %v", l, err)
	}
	en, err := db.EnglishPhones(c)
	must(t, err)
	if len(en) != 2 || en[0] != b || en[1] != a {
		t.Fatalf("English phones %v", en)
	}
	must(t, db.SetPhoneLang(c, a, lifeline.Zh))
	if l, err := db.PhoneLang(c, a); err != nil || l != lifeline.Zh {
		t.Fatalf("back to Chinese: %s, %v", l, err)
	}
	en, err = db.EnglishPhones(c)
	must(t, err)
	if len(en) != 1 || en[0] != b {
		t.Fatalf("English phones after one went back: %v", en)
	}
}

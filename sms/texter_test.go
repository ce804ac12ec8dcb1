package sms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// setColor gives a resident a colour, as the platform would.
func setColor(t *testing.T, db *store.DB, id int64, c lifeline.Color) {
	t.Helper()
	if _, err := db.RecordResult(context.Background(), lifeline.StatusUpdate{ResidentID: id, Color: c, At: testNow.Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
}

// TestYellowAndRedRepliesSayWhatToDo: the advice of a yellow or red code
// rides in the room its reply leaves in the segment, as the office
// configured it, in the reader's language.
func TestYellowAndRedRepliesSayWhatToDo(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	g := newGateway(t, db, nil)
	setColor(t, db, f.zhang.ID, lifeline.Yellow)
	got := g.text(phone(1), "查询")
	if !strings.Contains(got, "张*丰 黄码 4/9 08:00采样 阴性，请尽快做核酸") || strings.Contains(got, "李*英 绿码 4/9 08:00采样 阴性，") {
		t.Fatalf("yellow reply: %q", got)
	}
	setColor(t, db, f.li.ID, lifeline.Red)
	g.clock.Add(time.Minute)
	got = g.text(phone(1), "查询")
	if !strings.Contains(got, "李*英 红码 4/9 08:00采样 阴性，请居家，社区会联系您") || !sms.FitsOne(got) {
		t.Fatalf("red reply: %q", got)
	}
	// In English with two Chinese names the segment is full (UCS-2, 70
	// characters): the advice gives way; one person leaves room for it.
	g.clock.Add(time.Minute)
	if got := g.text(phone(1), "STATUS"); strings.Contains(got, "Get tested") || !sms.FitsOne(got) {
		t.Fatalf("English reply for two: %q", got)
	}
	alone := addResident(t, db, 7, "赵敏", []string{phone(7)}, "702", testNow.Add(-time.Hour))
	setColor(t, db, alone.ID, lifeline.Yellow)
	if got := g.text(phone(7), "STATUS"); got != "赵* YELLOW test 4/9 08:00 negative. Get tested soon." {
		t.Fatalf("English yellow reply: %q", got)
	}

	var advice sms.Advice
	if err := advice.Set("red=请勿外出，等社区电话"); err != nil {
		t.Fatal(err)
	}
	custom := newGateway(t, db, func(c *sms.Config) { c.Advice = advice })
	custom.sid = 100 // fresh MessageSids: the same sid again is a retry
	got = custom.text(phone(1), "查询")
	if !strings.Contains(got, "红码 4/9 08:00采样 阴性，请勿外出，等社区电话") || !strings.Contains(got, "，请尽快做核酸") {
		t.Fatalf("configured advice: %q", got)
	}
}

// TestAlikeRelativesToldApart: a daughter who cares for both parents,
// 王芳 and 王强, reads 王*(母亲) and 王*(父亲), not 王* twice; a couple
// sharing one handset reads the last two characters of each document.
func TestAlikeRelativesToldApart(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	fresh := testNow.Add(-time.Hour)
	// idNumber(n): odd n is a man, even n a woman (the 17th digit).
	mother := addResident(t, db, 10, "王芳", []string{phone(5)}, "301", fresh)
	father := addResident(t, db, 11, "王强", []string{phone(5)}, "301", fresh)
	daughter := phone(6)
	for _, r := range []*lifeline.Resident{mother, father} {
		l := &lifeline.Relative{ResidentID: r.ID, Phone: daughter, Relation: "子女"}
		if err := db.LinkRelative(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := db.ReviewRelative(ctx, l.ID, true, "", "staff:test"); err != nil {
			t.Fatal(err)
		}
	}
	g := newGateway(t, db, nil)
	got := g.text(daughter, "查询")
	m, f := "王*("+tieWord(t, mother)+")", "王*("+tieWord(t, father)+")"
	if !strings.Contains(got, m+" 绿码") || !strings.Contains(got, f+" 绿码") || m == f {
		t.Fatalf("daughter's reply: %q, want %s and %s", got, m, f)
	}
	got = g.text(phone(5), "查询")
	for _, r := range []*lifeline.Resident{mother, father} {
		if want := "王*(尾号" + r.Doc.Tail(2) + ") 绿码"; !strings.Contains(got, want) {
			t.Fatalf("the couple's reply: %q, want %q", got, want)
		}
	}
	if got := g.text(daughter, "离线码"); !strings.Contains(got, "已为"+m+"等2人申请纸质码") && !strings.Contains(got, "已为"+f+"等2人申请纸质码") {
		t.Fatalf("paper code reply: %q", got)
	}
}

// tieWord is what the daughter calls r: 母亲 or 父亲 by r's sex.
func tieWord(t *testing.T, r *lifeline.Resident) string {
	t.Helper()
	_, sex, err := lifeline.ParseMainlandID(r.Doc.Number)
	if err != nil {
		t.Fatal(err)
	}
	return lifeline.PhoneTie{Relation: "子女"}.Word(sex, lifeline.Zh)
}

// TestLanguageOfTheLastCommandIsKept: the store remembers that a number
// texted its last command in English (for the voice line); a message that
// is no command changes nothing, and a Chinese command goes back.
func TestLanguageOfTheLastCommandIsKept(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, nil)
	ctx := context.Background()
	lang := func() lifeline.Lang {
		t.Helper()
		l, err := db.PhoneLang(ctx, phone(1))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	g.text(phone(1), "STATUS")
	if lang() != lifeline.En {
		t.Fatal("STATUS did not make the number English")
	}
	g.text(phone(1), "what")
	if lang() != lifeline.En {
		t.Fatal("a message that is no command changed the language")
	}
	g.text(phone(1), "查询")
	if lang() != lifeline.Zh {
		t.Fatal("查询 did not take the number back to Chinese")
	}
}

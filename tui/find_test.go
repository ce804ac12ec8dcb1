package tui

import (
	"context"
	"fmt"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestFindByIDTailAndOpen(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Type(f.zhang.Doc.Tail(4))
	waitFor(t, tm, "张三丰", "证件尾号")
	tm.Send(enter)
	waitFor(t, tm, "绿 码", "阴性 · 23 小时前")
	fm := final(t, tm)
	if fm.current != screenResident || fm.resident.r == nil || fm.resident.r.ID != f.zhang.ID {
		t.Fatalf("Enter opened screen %d resident %+v, want zhang", fm.current, fm.resident.r)
	}
}

// In English the screen says why a result matched in the same words as
// lifeline find: a document may be a passport, so not "ID number".
func TestFindSaysWhyInEnglish(t *testing.T) {
	f := newFixture(t)
	tm := runEnglish(t, f)
	tm.Type(f.zhang.Doc.Number)
	waitFor(t, tm, "张三丰", lifeline.QueryDocument.Label(lifeline.En))
	fm := final(t, tm)
	if len(fm.find.results) != 1 || fm.find.results[0].Kind != lifeline.QueryDocument {
		t.Fatalf("results %+v, want zhang by document", fm.find.results)
	}
}

func TestFindView(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Type("12-")
	waitFor(t, tm, "吴建国", "李秀英", "张三丰")
	tm.Send(down)
	fm := final(t, tm)
	if len(fm.find.results) != 3 {
		t.Fatalf("%d results for 12-, want the 3 residents of building 12", len(fm.find.results))
	}
	if fm.find.cursor != 1 {
		t.Errorf("cursor at %d after ↓, want 1", fm.find.cursor)
	}
	requireGolden(t, fm)
}

func TestFindSeesOnlyOwnCommunity(t *testing.T) {
	f := newFixture(t)
	tail := f.zhao.Doc.Tail(4)

	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Type(tail)
	waitFor(t, tm, "没有找到")
	if fm := final(t, tm); len(fm.find.results) != 0 {
		t.Fatalf("a worker of 幸福社区 found %d residents of 和平社区", len(fm.find.results))
	}

	tm = run(t, f.config())
	login(t, tm, "admin")
	tm.Type(tail)
	waitFor(t, tm, "赵六")
}

// Results of an older search that arrive after a newer keystroke are
// dropped, so the list never flickers back to an earlier query.
func TestFindDropsStaleResults(t *testing.T) {
	f := newFixture(t)
	_, s := f.findScreen()
	s.focus()
	s, _ = s.update(runes("1"))
	first := s.seq
	s, _ = s.update(runes("2"))
	if s.seq == first {
		t.Fatal("a keystroke did not start a new search")
	}
	// The tick of the first keystroke does not search: a newer one came.
	if _, cmd := s.update(findTickMsg{seq: first}); cmd != nil {
		t.Error("a stale debounce tick started a search")
	}
	s, _ = s.update(findResultMsg{seq: first, query: "1", matches: []lifeline.ResidentMatch{{Resident: f.zhang}}})
	if len(s.results) != 0 {
		t.Fatal("stale results were shown")
	}
	s, _ = s.update(findResultMsg{seq: s.seq, query: "12", matches: []lifeline.ResidentMatch{{Resident: f.li}}})
	if len(s.results) != 1 || s.results[0].Resident.ID != f.li.ID {
		t.Fatalf("current results not shown: %+v", s.results)
	}
}

// A store that fails shows one sentence in the status line and the screen
// keeps working.
func TestFindStoreErrorShowsInStatusLine(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	f.db.Close()
	tm.Type("张")
	waitFor(t, tm, "✗ ")
	tm.Send(esc)
	fm := final(t, tm)
	st, isErr := fm.Status()
	if !isErr || st == "" {
		t.Fatalf("status %q (error %v), want an error sentence", st, isErr)
	}
	if fm.current != screenFind {
		t.Errorf("screen %d after a store error, want find", fm.current)
	}
}

// A worker who types the last digits and presses Enter at once, before the
// debounce has run the search, gets the resident those digits find.
func TestFindEnterBeforeResultsOpensThem(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Debounce = time.Second // Enter comes well before the debounce would search
	tm := run(t, cfg)
	login(t, tm, "wang")
	tm.Type(f.zhang.Doc.Tail(4))
	tm.Send(enter)
	waitFor(t, tm, "阴性 · 23 小时前")
	fm := final(t, tm)
	if fm.current != screenResident || fm.resident.r == nil || fm.resident.r.ID != f.zhang.ID {
		t.Fatalf("Enter opened screen %d resident %+v, want zhang", fm.current, fm.resident.r)
	}
}

// Enter while the list still shows an older, shorter query's results opens
// the first result of what is typed, not the row under the cursor.
func TestFindEnterOnStaleListWaitsForTheQuery(t *testing.T) {
	f := newFixture(t)
	e, s := f.findScreen()
	s.focus()
	s, _ = s.update(runes("12"))
	s, _ = s.update(findResultMsg{seq: s.seq, query: "12", matches: []lifeline.ResidentMatch{{Resident: f.wu}, {Resident: f.zhang}}})
	s, _ = s.update(runes("-3"))
	s, cmd := s.update(enter)
	if cmd == nil || !s.openWhenReady || e.pending != nil {
		t.Fatal("Enter on a stale list neither searched nor waited")
	}
	msg := cmd()
	res, ok := msg.(findResultMsg)
	if !ok {
		t.Fatalf("Enter ran %T, want the search for 12-3", msg)
	}
	if res.query != "12-3" {
		t.Fatalf("Enter searched %q, want 12-3", res.query)
	}
	if e.pending != nil {
		t.Fatal("Enter opened a resident before the results for 12-3 arrived")
	}
	s, _ = s.update(res)
	if e.pending == nil {
		t.Fatal("the results arrived and nothing opened")
	}
	nav := *e.pending
	if nav.to != screenResident || nav.id == f.wu.ID || nav.id != res.matches[0].Resident.ID {
		t.Fatalf("opened %+v, want the first result of 12-3 (%d matches), not 吴建国 of the stale list", nav, len(res.matches))
	}
}

// findScreen is a find screen of wang's, driven by hand (no program): its
// commands are run, and their messages fed back, by the test.
func (f *fixture) findScreen() (*env, findScreen) {
	e := &env{cfg: f.config(), store: f.db, ctx: context.Background(), lang: lifeline.Zh, keys: newKeyMap(lifeline.Zh), staff: &lifeline.Staff{User: "wang", Community: "幸福社区"}}
	return e, newFindScreen(e)
}

// More matches than the screen shows: the count says only the first 50
// are shown.
func TestFindSaysWhenCapped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 55; i++ {
		r := &lifeline.Resident{Name: fmt.Sprintf("王%c", '一'+rune(i)), Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: mainlandID(t, fmt.Sprintf("110105199001%02d%03d", 1+i%28, i))},
			Address: lifeline.Address{Community: "幸福社区", Building: "20", Unit: "1", Room: fmt.Sprint(100 + i)}}
		if err := f.db.CreateResident(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(runes("王"))
	waitFor(t, tm, "50 条结果（仅显示前 50 条）")
	final(t, tm)
}

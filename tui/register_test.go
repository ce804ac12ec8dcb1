package tui

import (
	"context"
	"testing"
)

func TestRegisterOnSite(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(3))
	waitFor(t, tm, "扫描试管条码")
	// A scanner types the whole number in one burst, then Enter.
	tm.Send(runes(f.zhang.Doc.Number))
	tm.Send(enter)
	waitFor(t, tm, "已找到")
	tm.Send(runes("T20260410-0001"))
	tm.Send(enter)
	waitFor(t, tm, "已保存", "待上传 1 条")
	fm := final(t, tm)
	pending, err := f.db.PendingRegistrations(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ResidentID != f.zhang.ID || pending[0].Tube != "T20260410-0001" || pending[0].Staff != "staff:wang" {
		t.Fatalf("stored %+v, want one registration of zhang with the tube", pending)
	}
	if !fm.register.doc.Focused() || fm.register.doc.Value() != "" {
		t.Error("after saving, the ID field should be empty and focused for the next person")
	}
	requireGolden(t, fm)
}

func TestRegisterUnknownOrForeignDocument(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(3))
	tm.Send(runes(f.zhao.Doc.Number)) // another community
	tm.Send(enter)
	waitFor(t, tm, "没有持此证件号的居民")
	fm := final(t, tm)
	if fm.register.r != nil {
		t.Fatal("a resident of another community was selected")
	}
}

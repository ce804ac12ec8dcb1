package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestLandlineBindsTheHousehold: on a resident, t binds a landline to
// everyone in the household (张三丰 and 李秀英), a mobile is refused with a
// sentence, and saving it empty unbinds it.
func TestLandlineBindsTheHousehold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tm := openZhang(t, f, f.config())
	tm.Send(runes("t"))
	waitFor(t, tm, "全户绑定固定电话", "当前")
	tm.Send(runes("13800138000"))
	tm.Send(enter)
	waitFor(t, tm, "这是手机号码")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU}) // clear the field
	tm.Send(runes("029-8888 1234"))
	tm.Send(enter)
	waitFor(t, tm, "已为全户 2 人绑定固定电话 +********1234", "+********1234")
	got, err := f.db.StatusByPhone(ctx, "+862988881234")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("the landline reaches %d residents, want 张三丰 and 李秀英", len(got))
	}
	tm.Send(runes("t"))
	waitFor(t, tm, "+********1234", "留空保存即解除绑定")
	tm.Send(enter)
	waitFor(t, tm, "已为全户 2 人解除固定电话")
	got, err = f.db.StatusByPhone(ctx, "+862988881234")
	if err != nil || len(got) != 0 {
		t.Fatalf("after unbinding: %d residents, %v", len(got), err)
	}
	final(t, tm)
}

func TestLandlineView(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	tm.Send(runes("t"))
	waitFor(t, tm, "全户绑定固定电话")
	tm.Send(runes("029-88881234"))
	waitFor(t, tm, "029-88881234")
	requireGolden(t, final(t, tm))
}

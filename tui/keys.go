package tui

import (
	"github.com/charmbracelet/bubbles/key"
	lifeline "github.com/lifeline-health/lifeline"
)

// keyMap is every key the staff screen answers to. The same bindings are
// matched in Update and listed by the help line and the full help (? or
// F1), so the two never disagree.
type keyMap struct {
	// Everywhere.
	Quit, Help, Back key.Binding
	// Go to a screen (once logged in).
	Find, Register, Check, Queue, Review key.Binding
	// End this worker's session: back to the login, nothing of it left on
	// the screen for the next person at the desk.
	Logout key.Binding
	// Lists and forms.
	Up, Down, Open, Next, Submit key.Binding
	// Lists that grow: a page at a time, the first and the last.
	PageUp, PageDown, Home, End key.Binding
	// A choice among a few (document type, relation, card position).
	Choose key.Binding
	// On-site registration: a person who is not on the roster.
	WalkIn key.Binding
	// Resident screen.
	Reveal, Print, Revoke, Link, Sample, Landline key.Binding
	// Print screen.
	PrintPerson, PrintHousehold, PrintBuilding, PrintLarge key.Binding
	// Keep the earlier cards valid too (a spare), and choose the printer.
	KeepPrevious, ChoosePrinter key.Binding
	// Review queue and confirmations.
	Approve, Reject, Yes, No key.Binding
	// Testing rounds: the rounds screen (F7), a new round, the tube
	// screen, the previous and next round; a tube closed early, the last
	// swab taken out; a door-to-door visit marked 1-4.
	Rounds, NewRound, Tubes, PrevRound, NextRound, CloseTube, Unadd, Visit key.Binding
}

func newKeyMap(l lifeline.Lang) keyMap {
	b := func(keys []string, k, zh, en string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, l.Pick(zh, en)))
	}
	return keyMap{
		Quit: b([]string{"ctrl+c"}, "ctrl+c", "退出", "quit"),
		Help: b([]string{"?", "f1"}, "?/F1", "全部按键", "all keys"),
		Back: b([]string{"esc"}, "esc", "返回", "back"),

		Find:     b([]string{"f2", "ctrl+f"}, "F2", "查找", "find"),
		Register: b([]string{"f3", "ctrl+g"}, "F3", "现场登记", "register"),
		Check:    b([]string{"f4", "ctrl+k"}, "F4", "验码", "check code"),
		Queue:    b([]string{"f5", "ctrl+p"}, "F5", "打印队列", "print queue"),
		Review:   b([]string{"f6", "ctrl+o"}, "F6", "亲属审核", "review relatives"),
		Logout:   b([]string{"f10"}, "F10", "退出登录", "log out"),

		Up:     b([]string{"up"}, "↑", "上移", "up"),
		Down:   b([]string{"down"}, "↓", "下移", "down"),
		Open:   b([]string{"enter"}, "enter", "打开", "open"),
		Next:   b([]string{"tab", "shift+tab"}, "tab", "切换输入框", "next field"),
		Submit: b([]string{"enter"}, "enter", "确定", "submit"),

		PageUp:   b([]string{"pgup"}, "PgUp", "上一页", "page up"),
		PageDown: b([]string{"pgdown"}, "PgDn", "下一页", "page down"),
		Home:     b([]string{"home"}, "Home", "最新", "newest"),
		End:      b([]string{"end"}, "End", "最早", "oldest"),
		Choose:   b([]string{"left", "right"}, "←→", "选择", "choose"),
		WalkIn:   b([]string{"ctrl+n"}, "ctrl+n", "不在名册上", "not on roster"),

		Reveal: b([]string{"v"}, "v", "显示号码（留痕）", "reveal (audited)"),
		Print:  b([]string{"p"}, "p", "打印", "print"),
		Revoke: b([]string{"x"}, "x", "吊销", "revoke"),
		Link:   b([]string{"l"}, "l", "关联亲属", "relative"),
		Sample: b([]string{"s"}, "s", "登记采样", "sample"),
		// t for 电话 (telephone): the household's landline.
		Landline: b([]string{"t"}, "t", "固定电话", "landline"),

		PrintPerson:    b([]string{"1"}, "1", "本人", "this person"),
		PrintHousehold: b([]string{"2"}, "2", "全户", "household"),
		PrintBuilding:  b([]string{"3"}, "3", "整栋楼", "whole building"),
		PrintLarge:     b([]string{"L", "l"}, "L", "大字/卡片", "large type/cards"),
		KeepPrevious:   b([]string{"k"}, "k", "旧卡吊销/保留", "revoke/keep old card"),
		ChoosePrinter:  b([]string{"P"}, "P", "打印机", "printer"),

		Rounds:    b([]string{"f7", "ctrl+r"}, "F7", "检测轮次", "testing rounds"),
		NewRound:  b([]string{"n"}, "n", "开启新一轮", "new round"),
		Tubes:     b([]string{"t"}, "t", "混管采样", "pooled tubes"),
		PrevRound: b([]string{"left"}, "←", "上一轮", "previous round"),
		NextRound: b([]string{"right"}, "→", "下一轮", "next round"),
		CloseTube: b([]string{"f8"}, "F8", "封管", "close tube"),
		Unadd:     b([]string{"ctrl+x"}, "ctrl+x", "移出最后一人", "take the last one out"),
		Visit:     b([]string{"1", "2", "3", "4"}, "1-4", "上门：1未遇 2已采 3拒绝 4外出", "visit: 1 not home 2 sampled 3 refused 4 away"),

		Approve: b([]string{"a"}, "a", "通过", "approve"),
		Reject:  b([]string{"r"}, "r", "驳回", "reject"),
		Yes:     b([]string{"y"}, "y", "确认", "yes"),
		No:      b([]string{"n", "esc"}, "n", "取消", "no"),
	}
}

// navKeys are the screen-switching keys, shown in the full help.
func (k keyMap) navKeys() []key.Binding {
	return []key.Binding{k.Find, k.Register, k.Check, k.Queue, k.Review, k.Rounds, k.Logout}
}

// helpKeys adapts a screen's bindings to bubbles/help: the short line is
// the screen's own keys plus help and quit; the full help adds the screen
// switches.
type helpKeys struct {
	screen []key.Binding
	global []key.Binding
	nav    []key.Binding
	extra  []key.Binding // in the full help only
}

// ShortHelp puts the help key first, so that it is never the one cut off
// on a narrow terminal.
func (h helpKeys) ShortHelp() []key.Binding {
	return append(append([]key.Binding{}, h.global...), h.screen...)
}

func (h helpKeys) FullHelp() [][]key.Binding {
	groups := [][]key.Binding{}
	if len(h.screen) > 0 {
		groups = append(groups, h.screen)
	}
	if len(h.nav) > 0 {
		groups = append(groups, h.nav)
	}
	return append(groups, append(append([]key.Binding{}, h.global...), h.extra...))
}

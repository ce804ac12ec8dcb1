package lifeline

import (
	"testing"
	"time"
)

// TestAddressShort: building-unit-room, building-room where there is no
// unit; Key tells apart what Short may not.
func TestAddressShort(t *testing.T) {
	for _, c := range []struct {
		a    Address
		want string
	}{
		{Address{Building: "12", Unit: "3", Room: "501"}, "12-3-501"},
		{Address{Building: "1", Room: "101"}, "1-101"},
		{Address{Building: "7"}, "7"},
		{Address{Building: "7", Unit: "2"}, "7-2"},
	} {
		if got := c.a.Short(); got != c.want {
			t.Errorf("%+v: Short = %q, want %q", c.a, got, c.want)
		}
	}
	a, b := Address{Building: "1-1", Room: "101"}, Address{Building: "1", Unit: "1", Room: "101"}
	if a.Short() != b.Short() || a.Key() == b.Key() {
		t.Errorf("Short %q and %q, Key %q and %q: want the same short form and different keys", a.Short(), b.Short(), a.Key(), b.Key())
	}
}

// TestAgo: the words for how long ago, at each step of the scale.
func TestAgo(t *testing.T) {
	now := time.Date(2026, 4, 10, 7, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		before time.Duration
		zh, en string
	}{
		{0, "刚刚", "just now"},
		{59 * time.Second, "刚刚", "just now"},
		{time.Minute, "1 分钟前", "1 min ago"},
		{59*time.Minute + 59*time.Second, "59 分钟前", "59 min ago"},
		{time.Hour, "1 小时前", "1 hour ago"},
		{2 * time.Hour, "2 小时前", "2 hours ago"},
		{23*time.Hour + 30*time.Minute, "23 小时前", "23 hours ago"},
		{47 * time.Hour, "47 小时前", "47 hours ago"},
		{48 * time.Hour, "2 天前", "2 days ago"},
		{30 * 24 * time.Hour, "30 天前", "30 days ago"},
	} {
		at := now.Add(-c.before)
		if got := Ago(at, now, Zh); got != c.zh {
			t.Errorf("%v before: zh %q, want %q", c.before, got, c.zh)
		}
		if got := Ago(at, now, En); got != c.en {
			t.Errorf("%v before: en %q, want %q", c.before, got, c.en)
		}
	}
}

// TestQueryKindLabel: every kind has words of its own in both languages.
func TestQueryKindLabel(t *testing.T) {
	seen := map[string]QueryKind{}
	for _, k := range []QueryKind{QueryDocument, QueryDocTail, QueryPhone, QueryPhoneTail, QueryAddress, QueryName} {
		for _, l := range []Lang{Zh, En} {
			w := k.Label(l)
			if w == "" || w == string(k) && l == Zh {
				t.Errorf("%s in %s: %q", k, l, w)
			}
			if o, dup := seen[w]; dup {
				t.Errorf("%s and %s both read %q", o, k, w)
			}
			seen[w] = k
		}
	}
	if got := QueryDocument.Label(En); got != "document" {
		t.Errorf("document in English: %q", got)
	}
}

func TestRelationLabel(t *testing.T) {
	for _, c := range []struct {
		r      Relation
		zh, en string
	}{
		{RelationParent, "父母", "parent"},
		{RelationSibling, "兄弟姐妹", "sibling"},
		{Relation("邻居\x1b[2J"), `邻居\x1b[2J`, `邻居\x1b[2J`},
	} {
		if zh, en := c.r.Label(Zh), c.r.Label(En); zh != c.zh || en != c.en {
			t.Errorf("%q: %q, %q; want %q, %q", c.r, zh, en, c.zh, c.en)
		}
	}
	for _, r := range Relations {
		if r.Label(En) == string(r) {
			t.Errorf("%s has no English word", r)
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		l    Lang
		n    int
		want string
	}{{En, 1, "1 result"}, {En, 0, "0 results"}, {En, 50, "50 results"}, {Zh, 1, "1 条结果"}} {
		if got := c.l.Count(c.n, "%d 条结果", "%d result", "%d results"); got != c.want {
			t.Errorf("Count(%s, %d) = %q, want %q", c.l, c.n, got, c.want)
		}
	}
}

func TestResultCount(t *testing.T) {
	for _, c := range []struct {
		n      int
		capped bool
		l      Lang
		want   string
	}{
		{50, true, Zh, "50 条结果（仅显示前 50 条）"},
		{3, false, Zh, "3 条结果"},
		{1, false, En, "1 result"},
		{50, true, En, "50 results (only the first 50 shown)"},
	} {
		if got := ResultCount(c.n, c.capped, c.l); got != c.want {
			t.Errorf("ResultCount(%d, %v, %s) = %q, want %q", c.n, c.capped, c.l, got, c.want)
		}
	}
}

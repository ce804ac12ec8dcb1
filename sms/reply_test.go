package sms

import (
	"fmt"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestRepliesFitOneSegment: every fixed reply and notice, in both
// languages, goes out as one SMS.
func TestRepliesFitOneSegment(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2022, 4, 11, 0, 0, 0, 0, loc)
	long := strings.Repeat("幸福里", 14)
	for _, l := range []lifeline.Lang{lifeline.Zh, lifeline.En} {
		texts := map[string]string{
			"help": helpText(l), "unknown": unknownText(l), "stop": stopText(l), "start": startText(l),
			"busy": busyText(l), "no more": noMoreText(l), "more": moreText(l, 12, 9),
			"code one":      codeText([]string{"张*丰"}, "幸福", day, l),
			"code many":     codeText([]string{"欧阳**华", "李*英", "王*"}, "幸福", day, l),
			"code long":     codeText([]string{"张*丰", "李*英"}, long, day, l),
			"code no place": codeText([]string{"张*丰"}, "", day, l),
		}
		for name, s := range texts {
			if !FitsOne(s) {
				n, enc, units := Segments(s)
				t.Errorf("%s %s: %d segments (%s, %d units): %q", l, name, n, enc, units, s)
			}
		}
		if got := codeText([]string{"张*丰", "李*英"}, long, day, l); strings.Contains(got, long) {
			t.Errorf("a community name too long for one segment was kept: %q", got)
		}
	}
	n := lifeline.Notice{Name: "欧阳建华", Result: lifeline.Negative, SampledAt: day, ExpiresAt: day}
	for _, s := range []string{resultNoticeText(n, loc), expiryNoticeText(n, loc)} {
		if !FitsOne(s) || strings.Contains(s, n.Name) {
			t.Errorf("notice %q: one segment %v", s, FitsOne(s))
		}
	}
}

func TestStatusPagesSplit(t *testing.T) {
	for _, l := range []lifeline.Lang{lifeline.Zh, lifeline.En} {
		for people := 1; people <= 20; people++ {
			var lines []string
			for i := 0; i < people; i++ {
				lines = append(lines, fmt.Sprintf("张*%d %s", i, strings.Repeat("码", i%7)))
			}
			pages := statusPages(lines, nil, l)
			var back []string
			for i, p := range pages {
				if !FitsOne(p) {
					t.Fatalf("%s %d people: page %d too long: %q", l, people, i+1, p)
				}
				ls := strings.Split(p, "\n")
				if i < len(pages)-1 {
					hint := ls[len(ls)-1]
					ls = ls[:len(ls)-1]
					if want := moreText(l, people-len(back)-len(ls), i+2); hint != want {
						t.Fatalf("%s %d people: page %d ends %q, want %q", l, people, i+1, hint, want)
					}
				}
				back = append(back, ls...)
			}
			if strings.Join(back, "\n") != strings.Join(lines, "\n") {
				t.Fatalf("%s %d people: pages do not give back the lines in order", l, people)
			}
		}
	}
}

func TestNextWorkingDay(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	cases := map[string]string{
		"2022-04-08": "2022-04-11", // Friday → Monday
		"2022-04-09": "2022-04-11", // Saturday → Monday
		"2022-04-10": "2022-04-11", // Sunday → Monday
		"2022-04-11": "2022-04-12",
	}
	for in, want := range cases {
		d, _ := time.ParseInLocation("2006-01-02", in, loc)
		if got := nextWorkingDay(d.Add(15*time.Hour), loc).Format("2006-01-02"); got != want {
			t.Errorf("after %s: %s, want %s", in, got, want)
		}
	}
}

func TestRateLimiterForgetsOldestNumbers(t *testing.T) {
	l := newRateLimiter(2, time.Minute, 3)
	now := time.Date(2022, 4, 9, 0, 0, 0, 0, time.UTC)
	if !l.take("a", now).ok || !l.take("a", now).ok || l.take("a", now).ok {
		t.Fatal("burst of 2 not enforced")
	}
	for _, k := range []string{"b", "c", "d", "e"} {
		l.take(k, now)
	}
	if l.len() != 3 {
		t.Fatalf("remembers %d numbers, want at most 3", l.len())
	}
	// "a" was the least recently seen and was forgotten: a fresh bucket.
	if !l.take("a", now).ok {
		t.Fatal("a forgotten number should start afresh")
	}
	if !l.take("e", now.Add(30*time.Second)).ok || l.take("e", now.Add(30*time.Second)).ok {
		t.Fatal("half a refill should give back half a token")
	}
}

func TestRateLimiterNoticeOncePerWindow(t *testing.T) {
	l := newRateLimiter(2, time.Minute, 10)
	at := time.Date(2022, 4, 9, 0, 0, 0, 0, time.UTC)
	l.take("a", at)
	l.take("a", at)
	v := l.take("a", at.Add(15*time.Second))
	if v.ok || !v.notice || v.wait != 45*time.Second {
		t.Fatalf("first refused: %+v, want a notice to wait 45s", v)
	}
	if v := l.take("a", at.Add(20*time.Second)); v.ok || v.notice {
		t.Fatalf("second refused: %+v, want silence", v)
	}
	// Answered once more after the refill, refused again inside the
	// window (2 minutes from the notice): silent.
	if v := l.take("a", at.Add(80*time.Second)); !v.ok {
		t.Fatalf("after the refill: %+v", v)
	}
	if v := l.take("a", at.Add(90*time.Second)); v.ok || v.notice {
		t.Fatalf("inside the window: %+v, want silence", v)
	}
	// The window ends 2 minutes after the notice; by then a token is back.
	if v := l.take("a", at.Add(136*time.Second)); !v.ok {
		t.Fatalf("after the window: %+v", v)
	}
	if v := l.take("a", at.Add(137*time.Second)); v.ok || !v.notice {
		t.Fatalf("refused after the window: %+v, want a notice", v)
	}
	for _, c := range []struct {
		wait time.Duration
		want string
	}{{time.Second, "发得太频繁，请1分钟后再发。"}, {time.Minute, "发得太频繁，请1分钟后再发。"}, {61 * time.Second, "发得太频繁，请2分钟后再发。"}} {
		if got := limitText(lifeline.Zh, c.wait); got != c.want || !FitsOne(got) {
			t.Errorf("limitText(%v) = %q, want %q", c.wait, got, c.want)
		}
	}
}

func TestCodeTextNamesTheOfficeOnce(t *testing.T) {
	day := time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC)
	for _, community := range []string{"幸福里社区", "幸福里"} {
		got := codeText([]string{"张*丰"}, community, day, lifeline.Zh)
		if !strings.Contains(got, "幸福里社区办公室") || strings.Contains(got, "社区社区") {
			t.Errorf("community %q: got %q, want the office named once as 幸福里社区办公室", community, got)
		}
	}
}

// TestClockMatchesFmt: the hand-made clock is what fmt made, at every
// minute of a day and on days and months of one and two digits.
func TestClockMatchesFmt(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	for _, day := range []time.Time{time.Date(2022, 4, 9, 0, 0, 0, 0, loc), time.Date(2022, 12, 31, 0, 0, 0, 0, loc), time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)} {
		for m := 0; m < 24*60; m++ {
			at := day.Add(time.Duration(m) * time.Minute)
			l := at.In(loc)
			want := fmt.Sprintf("%d/%d %02d:%02d", l.Month(), l.Day(), l.Hour(), l.Minute())
			if got := clock(at, loc); got != want {
				t.Fatalf("clock(%v) = %q, want %q", at, got, want)
			}
		}
	}
}

// TestRepliesEscapeStoredNames: a name stored before import refused
// control characters and capped names reaches a phone written out and
// short: one segment, no control, the status line still saying the colour.
func TestRepliesEscapeStoredNames(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2022, 4, 11, 9, 0, 0, 0, loc)
	for _, name := range []string{"王\x1b[42m GREEN \x1b[0m五\u202e", strings.Repeat("周", 5000)} {
		r := &lifeline.Resident{Name: name, Status: lifeline.Status{Color: lifeline.Red}}
		for _, l := range []lifeline.Lang{lifeline.Zh, lifeline.En} {
			s := statusLine(whoLabels([]*lifeline.Resident{r}, l)[0], r, l, now, time.Hour, loc)
			if _, bad := lifeline.UnprintableRune(s); bad || !FitsOne(s) || !strings.Contains(s, lifeline.Red.Label(l)) {
				t.Errorf("status line %q: unprintable %v, one segment %v", s, bad, FitsOne(s))
			}
		}
		n := lifeline.Notice{Name: name, Result: lifeline.Positive, SampledAt: now, ExpiresAt: now}
		for _, s := range []string{resultNoticeText(n, loc), expiryNoticeText(n, loc), codeText([]string{maskedName(name)}, lifeline.Printable("幸福\x1b[2J"), now, lifeline.Zh)} {
			if _, bad := lifeline.UnprintableRune(s); bad || !FitsOne(s) {
				t.Errorf("text %q: unprintable %v, one segment %v", s, bad, FitsOne(s))
			}
		}
	}
}

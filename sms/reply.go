package sms

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Every reply is written to fit one SMS segment; replies_test.go checks it.

// helpText lists the commands, for a number bound to a resident.
func helpText(l lifeline.Lang) string {
	return l.Pick("回复：查询(或1)看健康状态；离线码 申请纸质码；退订 停止通知；订阅 恢复通知",
		"Reply STATUS (or 1) for status, CODE for a paper code, STOP to end alerts, START to resume.")
}

// unknownText answers every message from a number bound to no one, whatever
// it says: the answer never depends on what was asked, so texting someone
// else's ID number learns nothing.
func unknownText(l lifeline.Lang) string {
	return l.Pick("本号码未登记。请带身份证到社区办公室登记手机号，之后回复查询看健康状态。",
		"This number is not registered. Bring your ID to the community office to register it, then text STATUS.")
}

func stopText(l lifeline.Lang) string {
	return l.Pick("已退订通知。回复订阅可恢复。", "Alerts stopped. Reply START to resume.")
}

func startText(l lifeline.Lang) string {
	return l.Pick("已恢复通知。回复退订可停止。", "Alerts on. Reply STOP to end them.")
}

func busyText(l lifeline.Lang) string {
	return l.Pick("系统繁忙，请过几分钟再发。", "System busy, please try again in a few minutes.")
}

// limitText tells a number over its rate limit how long to wait, in whole
// minutes, at least one.
func limitText(l lifeline.Lang, wait time.Duration) string {
	m := max(int((wait+time.Minute-1)/time.Minute), 1)
	return l.Pick(fmt.Sprintf("发得太频繁，请%d分钟后再发。", m), fmt.Sprintf("Too many messages: please wait %d min.", m))
}

func noMoreText(l lifeline.Lang) string {
	return l.Pick("没有更多了。回复查询从头看。", "No more. Reply STATUS to start over.")
}

// clock formats a time as people read it in an SMS: 4/9 08:00.
func clock(t time.Time, loc *time.Location) string {
	return string(appendClock(make([]byte, 0, 11), t, loc))
}

// appendClock appends clock(t, loc) to b (a status reply is made on every
// message; this is a fifth of fmt's cost).
func appendClock(b []byte, t time.Time, loc *time.Location) []byte {
	t = t.In(loc)
	b = strconv.AppendInt(b, int64(t.Month()), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(t.Day()), 10)
	b = append(b, ' ', byte('0'+t.Hour()/10), byte('0'+t.Hour()%10), ':', byte('0'+t.Minute()/10), byte('0'+t.Minute()%10))
	return b
}

// statusLine is one person's status: 张*丰 绿码 4/9 08:00采样 阴性, who
// being the name as whoLabels gives it, with "截至 …" when the status is
// older than stale (the upstream platform may be down; the answer still
// comes, marked with its age).
func statusLine(who string, r *lifeline.Resident, l lifeline.Lang, now time.Time, stale time.Duration, loc *time.Location) string {
	var b strings.Builder
	b.WriteString(who)
	b.WriteString(" ")
	b.WriteString(r.Status.Color.Label(l))
	if t := r.Status.Latest; t != nil {
		if l == lifeline.En {
			b.WriteString(" test ")
			b.WriteString(clock(t.SampledAt, loc))
		} else {
			b.WriteString(" ")
			b.WriteString(clock(t.SampledAt, loc))
			b.WriteString("采样")
		}
		b.WriteString(" ")
		b.WriteString(t.Result.Label(l))
	} else {
		b.WriteString(l.Pick(" 无核酸记录", " no test"))
	}
	if u := r.Status.UpdatedAt; !u.IsZero() && now.Sub(u) > stale {
		b.WriteString(l.Pick(" 截至"+clock(u, loc), " as of "+clock(u, loc)))
	}
	return b.String()
}

func moreText(l lifeline.Lang, n, page int) string {
	return l.Pick(fmt.Sprintf("还有%d人，回复%d查看", n, page), fmt.Sprintf("%d more: reply %d", n, page))
}

// statusPages splits status lines into replies of one segment each. A page
// that leaves people out ends with how many remain and the digit to reply
// for the next page, and that hint is counted in the page's length. Pages
// are cut on the lines alone; then advice[i] (what a yellow or red code
// should do; "" for none, and advice may be nil) is added to line i where
// its page still fits one segment, so advice never moves a line to another
// page and "2" always continues where "查询" stopped.
func statusPages(lines, advice []string, l lifeline.Lang) []string {
	var pages []string
	var cur []int
	emit := func(hint string) {
		pages = append(pages, advised(lines, advice, cur, hint, l))
	}
	join := func(idx []int, hint string) string {
		parts := make([]string, 0, len(idx)+1)
		for _, i := range idx {
			parts = append(parts, lines[i])
		}
		if hint != "" {
			parts = append(parts, hint)
		}
		return strings.Join(parts, "\n")
	}
	for i := range lines {
		rest := len(lines) - i - 1
		hint := ""
		if rest > 0 {
			hint = moreText(l, rest, len(pages)+2)
		}
		if len(cur) == 0 || FitsOne(join(append(cur[:len(cur):len(cur)], i), hint)) {
			cur = append(cur, i)
			continue
		}
		emit(moreText(l, len(lines)-i, len(pages)+2))
		cur = []int{i}
	}
	if len(cur) > 0 {
		emit("")
	}
	return pages
}

// advised is the page holding lines idx and hint, each line followed by
// its advice in order while the page still fits one segment.
func advised(lines, advice []string, idx []int, hint string, l lifeline.Lang) string {
	sep := l.Pick("，", ". ")
	out := make([]string, 0, len(idx)+1)
	for _, i := range idx {
		out = append(out, lines[i])
	}
	if hint != "" {
		out = append(out, hint)
	}
	for k, i := range idx {
		if i >= len(advice) || advice[i] == "" {
			continue
		}
		was := out[k]
		out[k] = was + sep + advice[i]
		if !FitsOne(strings.Join(out, "\n")) {
			out[k] = was
		}
	}
	return strings.Join(out, "\n")
}

// nextWorkingDay is the first Monday-to-Friday after now's day, in loc.
// Public holidays are not known to the system; staff see the print queue
// regardless.
func nextWorkingDay(now time.Time, loc *time.Location) time.Time {
	d := now.In(loc)
	for {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return d
		}
	}
}

var weekdayZh = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// codeText confirms a paper-code request and says where and when to
// collect it. It names the community when that still fits one segment.
func codeText(names []string, community string, day time.Time, l lifeline.Lang) string {
	who := names[0]
	if len(names) > 1 {
		who = l.Pick(fmt.Sprintf("%s等%d人", names[0], len(names)), fmt.Sprintf("%s +%d", names[0], len(names)-1))
	}
	date := l.Pick(fmt.Sprintf("%d/%d(%s)", day.Month(), day.Day(), weekdayZh[day.Weekday()]),
		fmt.Sprintf("%s %d/%d", day.Weekday().String()[:3], day.Month(), day.Day()))
	for _, office := range []string{community, ""} {
		var s string
		if l == lifeline.En {
			where := "the community office"
			if office != "" {
				where = office + " community office"
			}
			s = fmt.Sprintf("Paper code for %s: pick up at %s, %s 9-5.", who, where, date)
		} else {
			// "幸福里社区" already ends in 社区: don't say it twice.
			s = fmt.Sprintf("已为%s申请纸质码，请于%s 9-17点到%s社区办公室领取。", who, date, strings.TrimSuffix(office, "社区"))
		}
		if FitsOne(s) {
			return s
		}
	}
	return l.Pick(fmt.Sprintf("已申请纸质码，请于%s 9-17点到社区办公室领取。", date), fmt.Sprintf("Paper code requested: pick up at the community office, %s 9-5.", date))
}

// resultNoticeText tells a phone that a test result is in.
func resultNoticeText(n lifeline.Notice, loc *time.Location) string {
	return fmt.Sprintf("%s 核酸结果：%s采样 %s。回复查询看健康状态，回复退订停止通知。",
		maskedName(n.Name), clock(n.SampledAt, loc), n.Result.Label(lifeline.Zh))
}

// expiryNoticeText tells a phone that a paper code expires soon.
func expiryNoticeText(n lifeline.Notice, loc *time.Location) string {
	t := n.ExpiresAt.In(loc)
	return fmt.Sprintf("%s 的纸质离线码将于%d/%d到期，回复离线码可申请新码。", maskedName(n.Name), t.Month(), t.Day())
}

// maskedNameLen is the most of a masked name a text shows: a name stored
// before import capped names must not make a reply of several segments.
const maskedNameLen = 24

// maskedName is a name as a text shows it: masked, its controls written
// out (lifeline.Printable), and cut to maskedNameLen characters.
func maskedName(name string) string {
	s := lifeline.Printable(lifeline.MaskName(name))
	if rs := []rune(s); len(rs) > maskedNameLen {
		return string(rs[:maskedNameLen-1]) + "…"
	}
	return s
}

// holdingText tells a person whose answer waits for the store that their
// text arrived and the answer will come: one per number per outage.
func holdingText(l lifeline.Lang) string {
	return l.Pick("短信已收到，系统正忙，稍后回复您，请勿重复发送。", "Got your text. The system is busy; we will answer soon, no need to resend.")
}

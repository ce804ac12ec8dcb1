package sms

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	lifeline "github.com/lifeline-health/lifeline"
)

// What the voice line says, written for the speech engine rather than the
// eye: no digits run together ("12/1" would be read "twelve slash one"),
// no masking stars, dates and counts in words ("四月九日", "两位"), and
// each sentence its own short <Say>, so a caller who missed one hears the
// next clearly. The facts and the advice are those of the SMS reply
// (status.go).

var zhDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// zhNumber says 0 to 99 in Chinese: 九, 十一, 二十六.
func zhNumber(n int) string {
	switch {
	case n < 10:
		return zhDigits[n]
	case n < 20:
		return "十" + strings.TrimPrefix(zhNumber(n%10), "零")
	case n < 100:
		s := zhDigits[n/10] + "十"
		if n%10 != 0 {
			s += zhDigits[n%10]
		}
		return s
	}
	return fmt.Sprint(n)
}

// zhCount says how many people: 两位, not 二位.
func zhCount(n int) string {
	if n == 2 {
		return "两位"
	}
	return zhNumber(n) + "位"
}

// spokenDate says a day: 四月九日, April 9.
func spokenDate(t time.Time, loc *time.Location, l lifeline.Lang) string {
	t = t.In(loc)
	if l == lifeline.En {
		return t.Month().String() + " " + fmt.Sprint(t.Day())
	}
	return zhNumber(int(t.Month())) + "月" + zhNumber(t.Day()) + "日"
}

var (
	zhWeekdays = []string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}
	enOrdinals = []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
)

// spokenChars says a document's last characters one by one: 二一, "2 1".
func spokenChars(s string, l lifeline.Lang) string {
	var parts []string
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9' && l == lifeline.Zh:
			parts = append(parts, zhDigits[r-'0'])
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			parts = append(parts, string(r))
		}
	}
	return strings.Join(parts, l.Pick("", " "))
}

// compoundSurnames are the two-character surnames a name of three or more
// characters may start with: 欧阳华 is Mr 欧阳, not Mr 欧.
var compoundSurnames = []string{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "澹台", "端木", "申屠", "轩辕", "呼延", "南宫"}

// spokenSurname says a Chinese name as a polite caller would, by its
// surname alone: 王女士, 王先生, 王某 when the sex is not known. A name not
// in Chinese characters, which a Mandarin voice cannot say, gives "".
func spokenSurname(name string, sex lifeline.Sex) string {
	rs := []rune(strings.TrimSpace(name))
	if len(rs) == 0 || !unicode.Is(unicode.Han, rs[0]) {
		return ""
	}
	sur := string(rs[0])
	if len(rs) >= 3 {
		for _, c := range compoundSurnames {
			if strings.HasPrefix(string(rs), c) {
				sur = c
			}
		}
	}
	switch sex {
	case lifeline.Male:
		return sur + "先生"
	case lifeline.Female:
		return sur + "女士"
	}
	return sur + "某"
}

// spokenWho says who each person is: the masked surname and what the
// caller calls them (您的母亲，王女士; 王先生，本人), with the document's
// last two characters where two would sound alike. English cannot say a
// Chinese name: "You", "Your mother".
func spokenWho(people []*lifeline.Resident, l lifeline.Lang) []string {
	own := 0
	for _, p := range people {
		if p.Tie.Own {
			own++
		}
	}
	out := make([]string, len(people))
	heard := map[string]int{}
	for i, p := range people {
		out[i] = whoSaid(p, own, l)
		heard[out[i]]++
	}
	for i, p := range people {
		if heard[out[i]] > 1 && p.Tie.DocTail != "" {
			out[i] += l.Pick("，证件尾号"+spokenChars(p.Tie.DocTail, l), ", document ending "+spokenChars(p.Tie.DocTail, l))
		}
	}
	return out
}

// whoSaid is one person's who, before telling alike ones apart; own is how
// many of the caller's people are the phone's own (a couple sharing a
// handset: neither is "you" alone).
func whoSaid(p *lifeline.Resident, own int, l lifeline.Lang) string {
	name := spokenSurname(p.Name, p.Sex)
	if l == lifeline.En {
		switch {
		case p.Tie.Own && own == 1:
			return "You"
		case p.Tie.Own:
			return "Someone registered to this phone"
		}
		return "Your " + p.Tie.Word(p.Sex, l)
	}
	switch {
	case p.Tie.Own && own == 1 && name != "":
		return name + "，本人"
	case p.Tie.Own && own == 1:
		return "您本人"
	case p.Tie.Own && name != "":
		return name
	case p.Tie.Own:
		return "本机登记的居民"
	}
	rel := "您的" + p.Tie.Word(p.Sex, l)
	if name != "" {
		rel += "，" + name
	}
	return rel
}

// spokenColor says a colour: 绿码, "a green code".
func spokenColor(c lifeline.Color, l lifeline.Lang) string {
	if l == lifeline.En {
		switch c {
		case lifeline.Green, lifeline.Yellow, lifeline.Red:
			return "a " + string(c) + " code"
		}
		return "no health code on record"
	}
	return c.Label(l)
}

// statusSpeech is one person's status as sentences: who, the colour as a
// word, the last test in spoken form, its age when the platform has not
// been heard from, and what to do.
func statusSpeech(p *lifeline.Resident, who string, ordinal, of int, l lifeline.Lang, now time.Time, stale time.Duration, loc *time.Location, advice Advice) []string {
	var out []string
	if of > 1 {
		if l == lifeline.En {
			out = append(out, fmt.Sprintf("Person %s of %s.", enNumber(ordinal), enNumber(of)))
		} else {
			out = append(out, "第"+zhNumber(ordinal)+"位。")
		}
	}
	out = append(out, who+l.Pick("。", "."))
	out = append(out, l.Pick("健康码："+spokenColor(p.Status.Color, l)+"。", "Health code: "+spokenColor(p.Status.Color, l)+"."))
	if t := p.Status.Latest; t != nil {
		out = append(out, l.Pick(
			"最近一次核酸："+spokenDate(t.SampledAt, loc, l)+"采样，"+t.Result.Label(l)+"。",
			"Last test: sampled "+spokenDate(t.SampledAt, loc, l)+", "+t.Result.Label(l)+"."))
	} else {
		out = append(out, l.Pick("没有核酸记录。", "No test on record."))
	}
	if u := p.Status.UpdatedAt; !u.IsZero() && now.Sub(u) > stale {
		out = append(out, l.Pick("这是"+spokenDate(u, loc, l)+"的信息，平台暂时没有更新。", "This is as of "+spokenDate(u, loc, l)+"; the platform has not updated since."))
	}
	if a := advice.For(p.Status.Color, l); a != "" {
		out = append(out, strings.TrimRight(a, "。.")+l.Pick("。", "."))
	}
	return out
}

func enNumber(n int) string {
	if n >= 1 && n <= len(enOrdinals) {
		return enOrdinals[n-1]
	}
	return fmt.Sprint(n)
}

// greetingSpeech opens a call from a number bound to people.
func greetingSpeech(people int, l lifeline.Lang) []string {
	out := []string{l.Pick("您好，这里是社区健康码语音服务。", "Hello, this is the community health code line.")}
	if people > 1 {
		out = append(out, l.Pick("这部电话可以听到"+zhCount(people)+"的健康状态。", fmt.Sprintf("This phone can hear %s people.", enNumber(people))))
	}
	return out
}

// menuSpeech is the menu, one key a sentence; "next" only when there is
// another person, "office" only when key 9 can dial one.
func menuSpeech(people int, office bool, l lifeline.Lang) []string {
	out := []string{l.Pick("重听请按1。", "To hear it again, press 1.")}
	if people > 1 {
		out = append(out, l.Pick("听下一位请按2。", "For the next person, press 2."))
	}
	out = append(out, l.Pick("申请纸质码请按3。", "For a paper code, press 3."))
	if office {
		out = append(out, l.Pick("转社区办公室请按9。", "To speak to the community office, press 9."))
	}
	return append(out, l.Pick("结束请按0。", "To end the call, press 0."))
}

// codeSpeech confirms a paper code for one person and says where and when
// to collect it.
func codeSpeech(who, community string, day time.Time, loc *time.Location, l lifeline.Lang) []string {
	where := l.Pick("社区办公室", "the community office")
	if community != "" {
		where = l.Pick(strings.TrimSuffix(community, "社区")+"社区办公室", community+" community office")
	}
	if l == lifeline.En {
		return []string{"A paper code is requested for " + strings.ToLower(who[:1]) + who[1:] + ".",
			"Please collect it at " + where + " on " + day.In(loc).Weekday().String() + ", " + spokenDate(day, loc, l) + ", from nine to five."}
	}
	return []string{"已为" + who + "申请纸质码。",
		"请于" + spokenDate(day, loc, l) + "，" + zhWeekdays[day.In(loc).Weekday()] + "，上午九点到下午五点，到" + where + "领取。"}
}

// strangerSpeech is all a number bound to no one ever hears, whatever it
// presses: how to register, nothing about anyone.
func strangerSpeech(l lifeline.Lang) []string {
	return []string{
		l.Pick("您好，这里是社区健康码语音服务。", "Hello, this is the community health code line."),
		l.Pick("这个电话号码还没有登记。", "This phone number is not registered."),
		l.Pick("请带身份证到社区办公室登记电话，之后就可以打这个电话听健康状态。", "Please bring your ID to the community office to register it; then call again to hear your status."),
	}
}

func goodbyeSpeech(l lifeline.Lang) string {
	return l.Pick("感谢来电，再见。", "Thank you for calling. Goodbye.")
}

func invalidKeySpeech(l lifeline.Lang) string {
	return l.Pick("这个按键没有对应的服务。", "That key does nothing here.")
}

func dialingSpeech(l lifeline.Lang) string {
	return l.Pick("正在为您转接社区办公室，请稍候。", "Connecting you to the community office. Please hold.")
}

func noOfficeSpeech(l lifeline.Lang) []string {
	return []string{l.Pick("社区办公室的电话还没有开通。", "The community office has no phone line here yet."),
		l.Pick("请在工作日上午九点到下午五点，到社区办公室办理。", "Please visit the office on a working day, from nine to five.")}
}

func wrappedSpeech(people int, l lifeline.Lang) string {
	if people == 1 {
		return l.Pick("这部电话只能听到这一位。", "This phone hears only this person.")
	}
	return l.Pick("已经听完了，从第一位重新开始。", "That was everyone; back to the first person.")
}

func troubleSpeech(l lifeline.Lang) []string {
	return []string{l.Pick("系统暂时无法查询，请过几分钟再拨。", "The system cannot look this up right now. Please call again in a few minutes."), goodbyeSpeech(l)}
}

// busySpeech is what a call past the gateway's capacity hears: texted
// later when its number can take an SMS, asked to call again otherwise.
func busySpeech(texted bool, l lifeline.Lang) []string {
	if texted {
		return []string{l.Pick("现在来电的人很多。", "The line is very busy right now."),
			l.Pick("我们稍后会用短信把健康状态发到这部手机。", "We will text your status to this phone shortly."), goodbyeSpeech(l)}
	}
	return []string{l.Pick("现在来电的人很多，请过几分钟再拨。", "The line is very busy right now. Please call again in a few minutes."), goodbyeSpeech(l)}
}

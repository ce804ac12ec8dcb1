package sms

import (
	"fmt"
	"strings"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
)

// This file is what a status means and what to do about it, for the text
// (reply.go) and the voice line (speech.go) alike: the advice a yellow or
// red code carries, and how the people one phone asks about are told
// apart.

// Advice is what a reply tells a person with a yellow or red code to do:
// short, so that it fits the room a status leaves in its SMS segment, and
// the same words the voice line says.
type Advice struct {
	Yellow, Red lifeline.Text
}

// DefaultAdvice is the advice when the office configures none.
var DefaultAdvice = Advice{
	Yellow: lifeline.T("请尽快做核酸", "Get tested soon."),
	Red:    lifeline.T("请居家，社区会联系您", "Stay home; the community will call you."),
}

// MaxAdvice is the longest advice accepted, in characters: longer would
// rarely leave room in a status reply's one segment.
const MaxAdvice = 30

// For returns the advice for a colour in l, "" when there is none (green,
// or no status).
func (a Advice) For(c lifeline.Color, l lifeline.Lang) string {
	switch c {
	case lifeline.Yellow:
		return a.Yellow.In(l)
	case lifeline.Red:
		return a.Red.In(l)
	}
	return ""
}

// String is the advice as settings, for a flag's help.
func (a *Advice) String() string {
	if a == nil || *a == (Advice{}) {
		return ""
	}
	return "yellow=" + a.Yellow.Zh + ", red=" + a.Red.Zh
}

// Set changes one piece of advice from a setting "yellow=请尽快做核酸" or
// "red.en=Stay home." (the colour in English or Chinese, .en for the
// English reply): what serve's --advice takes.
func (a *Advice) Set(setting string) error {
	key, text, ok := strings.Cut(setting, "=")
	key, text = strings.TrimSpace(key), strings.TrimSpace(text)
	bad := func(zh, en string) error { return lifeline.Errorf(lifeline.EINVALID, lifeline.T(zh, en)) }
	if !ok || text == "" {
		return bad("建议应写成 颜色=文字，如 yellow=请尽快做核酸", "advice is COLOUR=TEXT, such as yellow=Get tested soon.")
	}
	lang := lifeline.Zh
	if k, found := strings.CutSuffix(key, ".en"); found {
		key, lang = k, lifeline.En
	}
	c, err := lifeline.ParseColor(key)
	if err != nil || c == lifeline.Green {
		return bad("只有黄码和红码有建议（yellow、red）", "only yellow and red codes carry advice (yellow, red)")
	}
	if _, unprintable := lifeline.UnprintableRune(text); unprintable {
		return bad("建议中有控制字符", "the advice holds a control character")
	}
	if utf8.RuneCountInString(text) > MaxAdvice {
		return bad(fmt.Sprintf("建议太长：最多 %d 个字", MaxAdvice), fmt.Sprintf("the advice is too long: at most %d characters", MaxAdvice))
	}
	t := &a.Yellow
	if c == lifeline.Red {
		t = &a.Red
	}
	if lang == lifeline.En {
		t.En = text
	} else {
		t.Zh = text
	}
	return nil
}

// whoLabels is each person's name as a reply shows it: masked (张*丰),
// and, where two masked names are alike, followed by what the phone's
// holder calls each (王*(母亲)) or, when those are alike too, the last two
// characters of each one's document (王*(尾号21)). Stored names pass
// through lifeline.Printable.
func whoLabels(people []*lifeline.Resident, l lifeline.Lang) []string {
	labels := make([]string, len(people))
	for i, p := range people {
		labels[i] = maskedName(p.Name)
	}
	// A phone asks about a handful of people: compare them pairwise, and
	// allocate nothing more unless two are alike, which is rare.
	var told []bool
	for i := range people {
		if told != nil && told[i] {
			continue
		}
		var group []int
		for j := i + 1; j < len(people); j++ {
			if labels[j] == labels[i] {
				group = append(group, j)
			}
		}
		if group == nil {
			continue
		}
		group = append([]int{i}, group...)
		if told == nil {
			told = make([]bool, len(people))
		}
		name := labels[i]
		words := make([]string, len(group))
		for k, m := range group {
			words[k] = people[m].Tie.Word(people[m].Sex, l)
			told[m] = true
		}
		tell := words
		if !distinct(words) {
			tell = make([]string, len(group))
			for k, m := range group {
				if tail := people[m].Tie.DocTail; tail != "" {
					tell[k] = l.Pick("尾号", "ID ..") + lifeline.Printable(tail)
				} else {
					tell[k] = words[k]
				}
			}
		}
		for k, m := range group {
			labels[m] = name + "(" + tell[k] + ")"
		}
	}
	return labels
}

func distinct(words []string) bool {
	seen := make(map[string]bool, len(words))
	for _, w := range words {
		if seen[w] {
			return false
		}
		seen[w] = true
	}
	return true
}

package sms

import (
	"strings"
	"unicode"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/text/unicode/norm"
)

// Kind is what an inbound message asks for.
type Kind int

// Command kinds. Anything that is not a command is KindUnknown and gets the
// help text.
const (
	KindUnknown Kind = iota
	KindStatus       // 查询 / CX / 1 / STATUS, and 2…9 for later pages
	KindHelp         // 帮助 / BZ / HELP / ?
	KindCode         // 离线码 / CODE: print a paper code
	KindStop         // 退订 / TD / STOP: notifications off
	KindStart        // 订阅 / START: notifications on
)

// String names the kind in logs and metrics.
func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindHelp:
		return "help"
	case KindCode:
		return "code"
	case KindStop:
		return "stop"
	case KindStart:
		return "start"
	}
	return "unknown"
}

// Command is a parsed inbound message.
type Command struct {
	Kind Kind
	// Page is the page of a status reply asked for: 1 for 查询, n for the
	// digit n (2…9) that the previous reply offered.
	Page int
	// Lang is the language to answer in: the language the message was
	// written in.
	Lang lifeline.Lang
}

// keyword is one accepted spelling of a command. zh marks spellings that a
// Chinese speaker types (pinyin initials, digits), so the answer is Chinese
// even though the message holds no Chinese character.
type keyword struct {
	kind Kind
	zh   bool
}

// keywords maps a message reduced by reduce to its command. Traditional
// characters are folded to simplified ones before the lookup.
var keywords = map[string]keyword{
	"查询": {KindStatus, true}, "查": {KindStatus, true}, "状态": {KindStatus, true}, "CX": {KindStatus, true}, "1": {KindStatus, true},
	"STATUS": {KindStatus, false}, "CHECK": {KindStatus, false},
	"帮助": {KindHelp, true}, "BZ": {KindHelp, true}, "?": {KindHelp, true}, "HELP": {KindHelp, false}, "INFO": {KindHelp, false},
	"离线码": {KindCode, true}, "离线": {KindCode, true}, "纸质码": {KindCode, true}, "LXM": {KindCode, true}, "CODE": {KindCode, false},
	"退订": {KindStop, true}, "TD": {KindStop, true}, "T": {KindStop, true}, "STOP": {KindStop, false}, "UNSUBSCRIBE": {KindStop, false},
	"订阅": {KindStart, true}, "DY": {KindStart, true}, "START": {KindStart, false}, "SUBSCRIBE": {KindStart, false},
}

// traditional folds the traditional characters of the command words to
// simplified ones (查詢 → 查询, 離線碼 → 离线码, 退訂 → 退订 …).
var traditional = strings.NewReplacer(
	"詢", "询", "幫", "帮", "離", "离", "線", "线", "碼", "码",
	"訂", "订", "閱", "阅", "狀", "状", "態", "态", "紙", "纸", "質", "质",
)

// Parse reads an inbound message. It forgives case, full-width characters,
// spaces, punctuation and traditional characters; the answer language is
// Chinese when the message holds a Chinese character or a Chinese-style
// command (CX, TD, a digit), English when it is written in Latin letters,
// and Chinese otherwise.
func Parse(body string) Command {
	s := traditional.Replace(norm.NFKC.String(body))
	key := reduce(s)
	var han, letters, digits int
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			letters++
		case r >= '0' && r <= '9':
			digits++
		}
	}
	lang := lifeline.Zh
	if han == 0 && letters > digits {
		lang = lifeline.En
	}
	if kw, ok := keywords[key]; ok {
		if kw.zh && han == 0 {
			lang = lifeline.Zh
		}
		c := Command{Kind: kw.kind, Lang: lang}
		if kw.kind == KindStatus {
			c.Page = 1
		}
		return c
	}
	if len(key) == 1 && key[0] >= '2' && key[0] <= '9' {
		return Command{Kind: KindStatus, Page: int(key[0] - '0'), Lang: lifeline.Zh}
	}
	return Command{Kind: KindUnknown, Lang: lang}
}

// reduce upper-cases s and drops spaces, punctuation and symbols, keeping a
// lone question mark (a command of its own).
func reduce(s string) string {
	var b strings.Builder
	question := false
	for _, r := range s {
		switch {
		case r == '?':
			question = true
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 && question {
		return "?"
	}
	return b.String()
}

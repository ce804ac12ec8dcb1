package sms

import (
	"strconv"
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
	"CHAXUN": {KindStatus, true}, "CHA": {KindStatus, true},
	"STATUS": {KindStatus, false}, "CHECK": {KindStatus, false},
	"帮助": {KindHelp, true}, "BZ": {KindHelp, true}, "?": {KindHelp, true}, "HELP": {KindHelp, false}, "INFO": {KindHelp, false},
	"离线码": {KindCode, true}, "离线": {KindCode, true}, "纸质码": {KindCode, true}, "LXM": {KindCode, true}, "CODE": {KindCode, false},
	"退订": {KindStop, true}, "TD": {KindStop, true}, "T": {KindStop, true}, "STOP": {KindStop, false}, "UNSUBSCRIBE": {KindStop, false},
	"订阅": {KindStart, true}, "DY": {KindStart, true}, "START": {KindStart, false}, "SUBSCRIBE": {KindStart, false},
}

// Words that, anywhere in a longer message, say what it asks for: what
// people actually type is "查健康码", "查一下", "我的码", "申请离线码".
// Turning notifications off or on is never guessed from a longer message:
// "退订" and "订阅" count only alone, and a message that holds one of them
// (or 帮助) among other words is not guessed at all.
var (
	codeWords   = []string{"离线码", "纸质码", "离线", "纸质"}
	statusWords = []string{"查", "码", "核酸", "健康", "状态"}
	otherWords  = []string{"退订", "订阅", "帮助"}
)

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
// and Chinese otherwise. A message that is no command word but holds 查 or
// 码 (or 核酸, 健康, 状态, or the pinyin CHAXUN) asks for the status, and
// one that holds 离线码 or 纸质码 asks for a paper code, unless it also
// holds another command word.
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
	if han == 0 && strings.Contains(key, "CHAXUN") {
		return Command{Kind: KindStatus, Page: 1, Lang: lifeline.Zh}
	}
	if han > 0 {
		switch guess(key) {
		case KindCode:
			return Command{Kind: KindCode, Lang: lifeline.Zh}
		case KindStatus:
			return Command{Kind: KindStatus, Page: 1, Lang: lifeline.Zh}
		}
	}
	return Command{Kind: KindUnknown, Lang: lang}
}

// ParseFrom is Parse for a message from a number: a message in Latin
// letters from a mainland number that is no English command word ("nihao",
// "wo yao cha") is answered in Chinese, as its sender most likely typed
// pinyin or fumbled a phone set to English.
func ParseFrom(body, from string) Command {
	c := Parse(body)
	if c.Kind == KindUnknown && c.Lang == lifeline.En && strings.HasPrefix(from, "+86") {
		c.Lang = lifeline.Zh
	}
	return c
}

// guess reads a message that is no command word by the words it holds: a
// paper code when it names one, the status when it holds 查 or 码 (or
// 核酸, 健康, 状态), and nothing when it also holds a word of another
// command.
func guess(key string) Kind {
	if containsAny(key, otherWords) {
		return KindUnknown
	}
	if containsAny(key, codeWords) {
		return KindCode
	}
	if containsAny(key, statusWords) {
		return KindStatus
	}
	return KindUnknown
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
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

// Acts reports whether the command changes something (notifications off
// or on, a paper code requested), rather than only reading.
func (c Command) Acts() bool {
	return c.Kind == KindStop || c.Kind == KindStart || c.Kind == KindCode
}

// Encode writes the command as the inbound log keeps it (kind, page,
// language: status/2/zh), so the answer can be composed later, by the
// answerer or after a restart, without keeping what was typed (which may
// hold someone's ID number).
func (c Command) Encode() string {
	return c.Kind.String() + "/" + strconv.Itoa(c.Page) + "/" + string(c.Lang)
}

// DecodeCommand reads what Encode wrote. A bare kind (as versions before
// Encode stored it) reads as its first page in Chinese; anything unknown
// is KindUnknown, which gets the help text.
func DecodeCommand(s string) Command {
	kind, rest, _ := strings.Cut(s, "/")
	page, lang, _ := strings.Cut(rest, "/")
	c := Command{Kind: KindUnknown, Lang: lifeline.Zh}
	for k := KindUnknown; k <= KindStart; k++ {
		if k.String() == kind {
			c.Kind = k
		}
	}
	if l, err := lifeline.ParseLang(lang); err == nil && lang != "" {
		c.Lang = l
	}
	if n, err := strconv.Atoi(page); err == nil && n >= 1 && n <= 9 {
		c.Page = n
	}
	if c.Kind == KindStatus && c.Page == 0 {
		c.Page = 1
	}
	if c.Kind != KindStatus {
		c.Page = 0
	}
	return c
}

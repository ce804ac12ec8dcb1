// Package lifeline holds the domain of the lifeline system: residents, their
// households, identity documents, health statuses, relatives, staff and the
// audit log, plus the service interfaces that the storage packages implement.
//
// The package is plain Go with no I/O: storage lives in sqlite/ and postgres/,
// the offline code in code/, printing in print/, the SMS gateway in sms/ and
// the staff screen in tui/. cmd/lifeline wires them together.
package lifeline

import "fmt"

// Lang is the language a person reads messages in.
type Lang string

// Supported languages. Chinese is the default everywhere.
const (
	Zh Lang = "zh"
	En Lang = "en"
)

// ParseLang reads a --lang value; the empty string means Chinese.
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "zh", "zh-CN", "cn":
		return Zh, nil
	case "en", "en-US", "en-GB":
		return En, nil
	}
	return Zh, fmt.Errorf("unknown language %q: use zh or en", s)
}

// Pick returns zh or en according to the language.
func (l Lang) Pick(zh, en string) string {
	if l == En {
		return en
	}
	return zh
}

// Text is a message a person reads, in both languages.
type Text struct {
	Zh string
	En string
}

// In returns the text in the given language.
func (t Text) In(l Lang) string { return l.Pick(t.Zh, t.En) }

// T builds a Text from its two versions.
func T(zh, en string) Text { return Text{Zh: zh, En: en} }

// Count words a number of things in l: zh, one and many are formats with
// one %d, the English one used for exactly 1 ("1 result", "2 results").
func (l Lang) Count(n int, zh, one, many string) string {
	switch {
	case l != En:
		return fmt.Sprintf(zh, n)
	case n == 1:
		return fmt.Sprintf(one, n)
	}
	return fmt.Sprintf(many, n)
}

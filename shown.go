package lifeline

import (
	"strconv"
	"strings"
	"time"
)

// ShownNumbers returns a resident's document number and phones as staff
// see them: masked (MaskDocNumber, MaskPhone), unless revealed, which
// whoever reveals them must write to the audit log.
func (r *Resident) ShownNumbers(reveal bool) (doc string, phones []string) {
	if reveal {
		return r.Doc.Number, append([]string{}, r.Phones...)
	}
	phones = make([]string, len(r.Phones))
	for i, p := range r.Phones {
		phones[i] = MaskPhone(p)
	}
	return r.Doc.Masked(), phones
}

// Found is one search result as lifeline find shows it, to a person (a
// table) or to a program (--json): numbers masked unless revealed (see
// ShownNumbers), and every stored text passed through Printable, as all
// stored text is wherever it is shown.
type Found struct {
	Rank        int        `json:"rank"`
	Match       string     `json:"match"`
	Score       int        `json:"score"`
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	DocType     string     `json:"doc_type"`
	DocNumber   string     `json:"doc_number"`
	Nationality string     `json:"nationality,omitempty"`
	Phones      []string   `json:"phones"`
	Community   string     `json:"community"`
	Address     string     `json:"address"`
	NeedsManual bool       `json:"needs_manual"`
	Color       string     `json:"color"`
	ColorLabel  string     `json:"color_label"`
	ColorReason string     `json:"color_reason,omitempty"`
	ColorAt     *time.Time `json:"color_at,omitempty"`
	LatestTest  *FoundTest `json:"latest_test"`
}

// FoundTest is a result's latest test in Found.
type FoundTest struct {
	SampledAt time.Time `json:"sampled_at"`
	Result    string    `json:"result"`
	Label     string    `json:"label"`
	Age       string    `json:"age"`
	Site      string    `json:"site,omitempty"`
}

// NewFound is the rank-th result m as Found, in l, its ages as of now.
func NewFound(rank int, m ResidentMatch, reveal bool, l Lang, now time.Time) Found {
	r := m.Resident
	doc, phones := r.ShownNumbers(reveal)
	for i, p := range phones {
		phones[i] = Printable(p)
	}
	f := Found{
		Rank: rank, Match: string(m.Kind), Score: m.Score, ID: r.ID, Name: Printable(r.Name),
		DocType: string(r.Doc.Type), DocNumber: Printable(doc), Nationality: Printable(r.Doc.Nationality),
		Phones: phones, Community: Printable(r.Address.Community), NeedsManual: r.NeedsManual,
		Color: string(r.Status.Color), ColorLabel: r.Status.Color.Label(l), ColorReason: Printable(r.Status.Reason),
	}
	if r.Address != (Address{}) {
		f.Address = Printable(r.Address.Short())
	}
	if !r.Status.ColorAt.IsZero() {
		at := r.Status.ColorAt
		f.ColorAt = &at
	}
	if t := r.Status.Latest; t != nil {
		f.LatestTest = &FoundTest{SampledAt: t.SampledAt, Result: string(t.Result), Label: t.Result.Label(l), Age: Ago(t.SampledAt, now, l), Site: Printable(t.Site)}
	}
	return f
}

// FoundTable is results as find's table shows them, a header row first:
// rank, name, document, first phone (and how many more), the community
// when they are not all of one, address, colour, latest test and why each
// matched, every cell as NewFound words it.
func FoundTable(ms []ResidentMatch, reveal bool, l Lang, now time.Time) [][]string {
	communities := map[string]bool{}
	for _, m := range ms {
		communities[m.Resident.Address.Community] = true
	}
	header := []string{"#", l.Pick("姓名", "name"), l.Pick("证件号码", "document"), l.Pick("电话", "phone")}
	if len(communities) > 1 {
		header = append(header, l.Pick("社区", "community"))
	}
	rows := [][]string{append(header, l.Pick("门牌", "address"), l.Pick("健康码", "code"), l.Pick("最近核酸", "latest test"), l.Pick("匹配", "match"))}
	for i, m := range ms {
		f := NewFound(i+1, m, reveal, l, now)
		doc := f.DocNumber
		if t := m.Resident.Doc.Type; t != DocMainlandID {
			doc = strings.TrimSpace(t.Label(l) + " " + doc + " " + f.Nationality)
		}
		phone := ""
		if len(f.Phones) > 0 {
			phone = f.Phones[0]
			if len(f.Phones) > 1 {
				phone += " +" + strconv.Itoa(len(f.Phones)-1)
			}
		}
		name := f.Name
		if f.NeedsManual {
			name += l.Pick("（人工）", " (manual)")
		}
		row := []string{strconv.Itoa(f.Rank), name, doc, phone}
		if len(communities) > 1 {
			row = append(row, f.Community)
		}
		test := l.Pick("无核酸记录", "no test")
		if t := f.LatestTest; t != nil {
			test = t.Label + " " + t.Age
		}
		rows = append(rows, append(row, f.Address, f.ColorLabel, test, m.Kind.Label(l)))
	}
	return rows
}

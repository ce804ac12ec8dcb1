package lifeline

import "time"

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

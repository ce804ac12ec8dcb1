package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/cmdline"
)

// runFind is the one search box from a shell. Staff see names; document
// numbers and phones are masked unless --reveal, which is audited per
// resident shown.
func runFind(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("find")
	asJSON := fs.Bool("json", false, app.T("以 JSON 输出", "print JSON"))
	limit := fs.Int("limit", 20, app.T("最多显示多少条", "how many results at most"))
	reveal := fs.Bool("reveal", false, app.T("显示完整证件号码和手机号（记入审计日志）", "show full document and phone numbers (audited)"))
	words, err := app.args(fs, args)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(words, " "))
	if query == "" {
		return app.usagef("请给出查询内容：lifeline find 张三", "give something to search for: lifeline find 'Zhang San'")
	}
	if *limit < 1 || *limit > 1000 {
		return app.usagef("--limit 应在 1 到 1000 之间", "--limit must be between 1 and 1000")
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, importActor())
	ms, err := db.FindResidents(ctx, lifeline.ResidentFilter{Query: query, Limit: *limit})
	if err != nil {
		return err
	}
	if *reveal {
		for _, m := range ms {
			e := lifeline.AuditEntry{Action: "reveal", ResidentID: m.Resident.ID, Detail: "find --reveal"}
			if err := db.Audit(ctx, e); err != nil {
				return err
			}
		}
	}
	now := time.Now()
	if *asJSON {
		return writeFindJSON(app.Stdout, ms, *reveal, app.Lang, now)
	}
	if len(ms) == 0 {
		fmt.Fprintln(app.Stdout, app.T("没有找到匹配的居民。", "no matching residents."))
		return nil
	}
	writeFindTable(app.Stdout, ms, *reveal, app.Lang, now)
	return nil
}

// findTest is the latest test in one cell: result and how old it is.
func findTest(r *lifeline.Resident, l lifeline.Lang, now time.Time) string {
	t := r.Status.Latest
	if t == nil {
		return l.Pick("无核酸记录", "no test")
	}
	return t.Result.Label(l) + " " + lifeline.Ago(t.SampledAt, now, l)
}

func writeFindTable(w io.Writer, ms []lifeline.ResidentMatch, reveal bool, l lifeline.Lang, now time.Time) {
	communities := map[string]bool{}
	for _, m := range ms {
		communities[m.Resident.Address.Community] = true
	}
	header := []string{"#", l.Pick("姓名", "name"), l.Pick("证件号码", "document"), l.Pick("电话", "phone")}
	if len(communities) > 1 {
		header = append(header, l.Pick("社区", "community"))
	}
	header = append(header, l.Pick("门牌", "address"), l.Pick("健康码", "code"), l.Pick("最近核酸", "latest test"), l.Pick("匹配", "match"))
	rows := [][]string{header}
	for i, m := range ms {
		r := m.Resident
		doc, phones := r.ShownNumbers(reveal)
		if r.Doc.Type != lifeline.DocMainlandID {
			doc = r.Doc.Type.Label(l) + " " + doc
			if r.Doc.Nationality != "" {
				doc += " " + r.Doc.Nationality
			}
		}
		phone := ""
		if len(phones) > 0 {
			phone = phones[0]
			if len(phones) > 1 {
				phone += " +" + strconv.Itoa(len(phones)-1)
			}
		}
		name := r.Name
		if r.NeedsManual {
			name += l.Pick("（人工）", " (manual)")
		}
		row := []string{strconv.Itoa(i + 1), name, strings.TrimSpace(doc), phone}
		if len(communities) > 1 {
			row = append(row, r.Address.Community)
		}
		addr := ""
		if r.Address != (lifeline.Address{}) {
			addr = r.Address.Short()
		}
		row = append(row, addr, r.Status.Color.Label(l), findTest(r, l, now), m.Kind.Label(l))
		rows = append(rows, row)
	}
	cmdline.WriteTable(w, rows)
}

// findRecord is one result in --json output. Numbers are masked unless
// --reveal, exactly as in the table.
type findRecord struct {
	Rank        int             `json:"rank"`
	Match       string          `json:"match"`
	Score       int             `json:"score"`
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	DocType     string          `json:"doc_type"`
	DocNumber   string          `json:"doc_number"`
	Nationality string          `json:"nationality,omitempty"`
	Phones      []string        `json:"phones"`
	Community   string          `json:"community"`
	Address     string          `json:"address"`
	NeedsManual bool            `json:"needs_manual"`
	Color       string          `json:"color"`
	ColorLabel  string          `json:"color_label"`
	ColorReason string          `json:"color_reason,omitempty"`
	ColorAt     *time.Time      `json:"color_at,omitempty"`
	LatestTest  *findTestRecord `json:"latest_test"`
}

type findTestRecord struct {
	SampledAt time.Time `json:"sampled_at"`
	Result    string    `json:"result"`
	Label     string    `json:"label"`
	Age       string    `json:"age"`
	Site      string    `json:"site,omitempty"`
}

func writeFindJSON(w io.Writer, ms []lifeline.ResidentMatch, reveal bool, l lifeline.Lang, now time.Time) error {
	out := make([]findRecord, len(ms))
	for i, m := range ms {
		r := m.Resident
		doc, phones := r.ShownNumbers(reveal)
		rec := findRecord{
			Rank: i + 1, Match: string(m.Kind), Score: m.Score, ID: r.ID, Name: r.Name,
			DocType: string(r.Doc.Type), DocNumber: doc, Nationality: r.Doc.Nationality,
			Phones: phones, Community: r.Address.Community, NeedsManual: r.NeedsManual,
			Color: string(r.Status.Color), ColorLabel: r.Status.Color.Label(l), ColorReason: r.Status.Reason,
		}
		if r.Address != (lifeline.Address{}) {
			rec.Address = r.Address.Short()
		}
		if !r.Status.ColorAt.IsZero() {
			at := r.Status.ColorAt
			rec.ColorAt = &at
		}
		if t := r.Status.Latest; t != nil {
			rec.LatestTest = &findTestRecord{SampledAt: t.SampledAt, Result: string(t.Result), Label: t.Result.Label(l), Age: lifeline.Ago(t.SampledAt, now, l), Site: t.Site}
		}
		out[i] = rec
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

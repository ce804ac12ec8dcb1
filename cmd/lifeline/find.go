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
		f := lifeline.NewFound(i+1, m, reveal, l, now)
		doc := f.DocNumber
		if t := m.Resident.Doc.Type; t != lifeline.DocMainlandID {
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
	cmdline.WriteTable(w, rows)
}

func writeFindJSON(w io.Writer, ms []lifeline.ResidentMatch, reveal bool, l lifeline.Lang, now time.Time) error {
	out := make([]lifeline.Found, len(ms))
	for i, m := range ms {
		out[i] = lifeline.NewFound(i+1, m, reveal, l, now)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
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
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(""))
	ms, err := db.FindResidents(ctx, lifeline.ResidentFilter{Query: query, Limit: *limit + 1}) // one more: are there more?
	if err != nil {
		return err
	}
	capped := len(ms) > *limit
	ms = ms[:min(len(ms), *limit)]
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
	fmt.Fprintln(app.Stderr, lifeline.ResultCount(len(ms), capped, app.Lang))
	return nil
}

func writeFindTable(w io.Writer, ms []lifeline.ResidentMatch, reveal bool, l lifeline.Lang, now time.Time) {
	cmdline.WriteTable(w, lifeline.FoundTable(ms, reveal, l, now))
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

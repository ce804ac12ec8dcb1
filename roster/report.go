package roster

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Report words, in l, what an import of these files did (dry: would do),
// line by line: with dry, each table recognised and the counts, nothing
// written; otherwise the tubes' results, the paper codes revoked and the
// counts with the files' names and the time taken; then what the updates
// changed (Changes). bad is the number of rows with problems, skipped or
// (dry) found.
func (p *Parser) Report(st lifeline.ImportStats, dry bool, bad int, files []string, elapsed time.Duration, l lifeline.Lang) []string {
	var out []string
	if dry {
		for _, t := range p.Tables {
			out = append(out, fmt.Sprintf(l.Pick("%s：%s，%s，%d 行", "%s: %s, %s, %d rows"), t.Source, t.Kind.Label(l), t.Encoding, len(t.Rows)))
		}
		out = append(out, fmt.Sprintf(l.Pick("试运行：将新增 %d 人，更新 %d 人，未变 %d 条；检测结果 %d 条，健康码 %d 条；错误 %d 行。未写入任何数据。",
			"dry run: would insert %d, update %d, leave %d unchanged; %d results, %d colours; %d bad rows. Nothing was written."),
			st.Inserted, st.Updated, st.Unchanged, st.Results, st.Colors, bad))
		return append(out, p.Changes(st, dry, l)...)
	}
	if st.Tubes > 0 {
		out = append(out, fmt.Sprintf(l.Pick("试管结果 %d 管；混管阳性 %d 人须单管复检，已排队短信 %d 条。", "%d tube results; %d people in positive pools to retest alone, %d SMS queued."), st.Tubes, st.PooledPositive, st.Queued))
	}
	if st.Revoked > 0 {
		out = append(out, fmt.Sprintf(l.Pick("红码居民的纸质码已吊销 %d 张。", "%d paper codes of residents now red were revoked."), st.Revoked))
	}
	line := fmt.Sprintf(l.Pick("已导入：新增 %d 人，更新 %d 人，未变 %d 条；检测结果 %d 条，健康码 %d 条",
		"imported: %d inserted, %d updated, %d unchanged; %d results, %d colours"), st.Inserted, st.Updated, st.Unchanged, st.Results, st.Colors)
	if bad > 0 {
		line += fmt.Sprintf(l.Pick("；跳过错误 %d 行", "; %d bad rows skipped"), bad)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	line += fmt.Sprintf(l.Pick("（%s，用时 %.1f 秒）", " (%s, %.1fs)"), strings.Join(names, ", "), elapsed.Seconds())
	return append(append(out, line), p.Changes(st, dry, l)...)
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"golang.org/x/term"
)

// checkFlags are the flags verify and the staff screen share to say what
// codes are checked against (code.VerifierSetup).
func checkFlags(app *App, fs *flag.FlagSet) func() code.VerifierSetup {
	var s code.VerifierSetup
	var lists []string
	add := func(path string) error { lists = append(lists, path); return nil }
	fs.StringVar(&s.Root, "root", "", app.T("要固定的根公钥`文件`（root.pub，或扫描其二维码得到的 LLR1: 文本），只需一次", "the root key to pin, once (root.pub, or the LLR1: text scanned from its QR code): `ROOT`"))
	fs.StringVar(&s.Dir, "state", "", app.T("检查点`目录`（默认：环境变量 LIFELINE_CHECKPOINT，或 ~/.local/state/lifeline/checkpoint）", "checkpoint `DIR` (default: $LIFELINE_CHECKPOINT, or ~/.local/state/lifeline/checkpoint)"))
	fs.Func("trust", app.T("签名的信任列表`文件` trust.cose（keys export）", "the signed trust list `FILE`, trust.cose (keys export)"), add)
	fs.Func("revoked", app.T("签名的吊销列表或增量`文件`（revocations export），可多次给出", "a signed revocation list or delta `FILE` (revocations export); may be given several times"), add)
	fs.BoolVar(&s.NoRevocations, "no-revocations", false, app.T("没有吊销列表也核验（吊销的码不会被发现）", "check without a revocation list (revoked codes are not caught)"))
	fs.DurationVar(&s.MaxListAge, "max-list-age", 0, app.T("本检查点对列表年龄的硬上限（0：只用列表自身的期限）", "this checkpoint's own hard limit on a list's age (0: the lists' own expiry only)"))
	keys := keyDirFlag(app, fs)
	return func() code.VerifierSetup {
		s.Lists, s.KeyDir = lists, keyDir(app, *keys)
		s.Say = func(t lifeline.Text) { fmt.Fprintln(app.Stderr, t.In(app.Lang)) }
		return s
	}
}

func runVerify(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("verify")
	setup := checkFlags(app, fs)
	maxValidity := fs.Duration("max-validity", code.DefaultMaxValidity, app.T("码的最长有效期（exp − iat）", "the longest validity a code may claim (exp − iat)"))
	at := fs.String("at", "", app.T("按此`时间`核验（RFC 3339），默认现在", "check as of this `TIME` (RFC 3339); default now"))
	skew := fs.Duration("skew", code.DefaultSkew, app.T("允许的时钟偏差", "clock skew allowed"))
	asJSON := fs.Bool("json", false, app.T("每个码输出一行 JSON，供程序读取", "print one JSON object per code, for programs"))
	payloads, err := app.args(fs, args)
	if err != nil {
		return err
	}
	v, err := setup().Verifier()
	if err != nil {
		return err
	}
	v.Skew, v.MaxValidity = *skew, *maxValidity
	if *skew == 0 {
		v.Skew = -1 // --skew 0 means none; the Verifier's 0 means the default
	}
	if *at != "" {
		t, err := parseWhen(app, "at", *at)
		if err != nil {
			return err
		}
		v.Now = func() time.Time { return t }
	}
	stored, err := storeRevocations(ctx, app)
	if err != nil {
		return err
	}
	// Every result is counted for the exit status (code.Tally); with --json
	// one that cannot be written is an error, said as one, never an empty
	// line.
	var tally code.Tally
	print := func(r code.Result) {
		tally.Add(r)
		if !*asJSON {
			fmt.Fprintln(app.Stdout, strings.Join(append([]string{r.Line(app.Lang)}, r.Notes(app.Lang)...), "\n  "))
		} else if b, err := json.Marshal(r.Report(app.Lang)); err != nil {
			fmt.Fprintln(app.Stderr, app.T("无法输出核验结果：", "cannot write the result: ")+err.Error())
			tally.Invalid++
		} else {
			fmt.Fprintln(app.Stdout, string(b))
		}
	}
	if len(payloads) > 0 {
		for _, payload := range payloads {
			print(v.VerifyAlso(payload, stored))
		}
	} else {
		if f, ok := app.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fmt.Fprintln(app.Stderr, app.T("请扫码（每行一个），按 Ctrl-D 结束。", "scan codes, one per line; Ctrl-D to finish."))
		}
		if err := code.EachScan(ctx, app.Stdin, func(s string) { print(v.VerifyAlso(s, stored)) }, func() { print(code.Result{Reason: code.TooLong}) }); err != nil {
			return err
		}
	}
	if st := tally.ExitStatus(); st != 0 {
		return &exitError{st}
	}
	return nil
}

// storeRevocations is what the store at hand has revoked
// (code.StoredRevocations): verify beside a store (at a desk, or lifeline
// --db demo.db verify) refuses a card revoked in it, as the check screen
// does. A --db or LIFELINE_DB that names no store is an error; with
// neither, and no lifeline.db here, verify is offline (nil).
func storeRevocations(ctx context.Context, app *App) (*code.RevocationList, error) {
	if _, err := os.Stat(app.DBPath); err != nil && !app.dbGiven {
		return nil, nil
	}
	db, err := app.open(ctx)
	if err != nil {
		return nil, err
	}
	return code.StoredRevocations(ctx, db)
}

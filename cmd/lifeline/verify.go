package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"golang.org/x/term"
)

func runVerify(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("verify")
	trust := fs.String("trust", "", app.T("信任列表（JWK Set，由 keys export 导出）；默认使用本机密钥目录中的密钥", "trust list (a JWK Set from keys export); default: the keys in the key directory"))
	dir := keyDirFlag(app, fs)
	revoked := fs.String("revoked", "", app.T("吊销列表文件（由 revocations export 导出）", "revocation list file (from revocations export)"))
	at := fs.String("at", "", app.T("按此时间核验（RFC 3339），默认现在", "check as of this time (RFC 3339); default now"))
	skew := fs.Duration("skew", code.DefaultSkew, app.T("允许的时钟偏差", "clock skew allowed"))
	asJSON := fs.Bool("json", false, app.T("每个码输出一行 JSON，供程序读取", "print one JSON object per code, for programs"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	v := &code.Verifier{Skew: *skew}
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
	var err error
	if *trust != "" {
		if v.Trust, err = code.LoadTrustList(*trust); err != nil {
			return err
		}
	} else {
		keys, err := code.LoadSigningKeys(keyDir(app, *dir))
		if err != nil {
			return err
		}
		v.Trust = code.TrustListOf(keys)
	}
	if len(v.Trust) == 0 {
		return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("信任列表中没有公钥：请用 --trust 指定 trust.json", "no public keys to trust: give the trust list with --trust trust.json"))
	}
	if *revoked != "" {
		if v.Revoked, err = code.LoadRevocationList(*revoked); err != nil {
			return err
		}
	}
	p := &verifyPrinter{app: app, json: *asJSON, skew: *skew}
	allValid := true
	check := func(payload string) {
		if !p.print(v.Verify(payload)) {
			allValid = false
		}
	}
	if fs.NArg() > 0 {
		for _, payload := range fs.Args() {
			check(payload)
		}
	} else {
		if f, ok := app.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fmt.Fprintln(app.Stderr, app.T("请扫码（每行一个），按 Ctrl-D 结束。", "scan codes, one per line; Ctrl-D to finish."))
		}
		if err := eachLine(ctx, app.Stdin, check); err != nil {
			return err
		}
	}
	if !allValid {
		return &exitError{1}
	}
	return nil
}

// eachLine calls fn for every non-blank line of r, as a scanner types them.
func eachLine(ctx context.Context, r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if line := strings.TrimSpace(sc.Text()); line != "" {
			fn(line)
		}
	}
	return sc.Err()
}

type verifyPrinter struct {
	app  *App
	json bool
	skew time.Duration
}

// print writes one result and reports whether it was valid.
func (p *verifyPrinter) print(r code.Result) bool {
	app := p.app
	if p.json {
		b, _ := json.Marshal(r.Report(app.Lang))
		fmt.Fprintln(app.Stdout, string(b))
		return r.Valid
	}
	fmt.Fprintln(app.Stdout, r.Line(app.Lang))
	if r.SkewApplied {
		fmt.Fprintf(app.Stdout, app.T("  注意：按 %s 的时钟偏差容忍接受；请检查本机时间是否准确。\n", "  note: accepted within the %s clock-skew allowance; check this device's clock.\n"), p.skew)
	}
	return r.Valid
}

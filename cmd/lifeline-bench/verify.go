package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	qrcode "github.com/skip2/go-qrcode"
)

// runVerify measures offline verification per core against bare
// Ed25519 on the very same signatures, and the revocation list's size and
// load time. The two verifications run in alternating rounds on one locked
// OS thread, timed by that thread's CPU time, and the fastest round of each
// counts, so other load on the machine slows neither more than the other.
func runVerify(ctx context.Context, app *Bench, args []string) error {
	fs := app.newFlagSet("verify")
	n := fs.Int("codes", 256, app.T("不同码的数量", "number of distinct codes"))
	rounds := fs.Int("rounds", 10, app.T("交替测量的轮数", "alternating rounds"))
	per := fs.Duration("round", 200*time.Millisecond, app.T("每轮时长", "length of one round"))
	revoked := fs.Int("revoked", 1_000_000, app.T("吊销列表条目数", "revocation list entries"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *rounds < 1 || *per <= 0 || *revoked < 0 {
		return app.usagef("参数必须为正", "the numbers must be positive")
	}
	now := time.Now()
	key, err := code.NewKey(now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	// A typical code: three-character name, a short community.
	holder := code.Holder{MaskedName: lifeline.MaskName("张三丰"), DocTail: "123X", DocType: lifeline.DocMainlandID,
		Color: lifeline.Green, Result: lifeline.Negative, TestedAt: now.Add(-20 * time.Hour)}
	is := &code.Issuer{Key: key}
	v := &code.Verifier{Trust: code.TrustListOf([]*code.SigningKey{key})}
	payloads := make([]string, *n)
	msgs, sigs := make([][]byte, *n), make([][]byte, *n)
	pub := key.Public()
	for i := range payloads {
		if payloads[i], _, err = is.Issue(holder, "幸福里社区"); err != nil {
			return err
		}
		if _, msgs[i], sigs[i], err = code.SignedParts(payloads[i]); err != nil {
			return err
		}
	}
	q, err := qrcode.New(payloads[0], qrcode.High)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("离线码：%d 字符，QR 版本 %d（纠错级别 Q）\n", "code: %d characters, QR version %d at level Q\n"), len(payloads[0]), q.VersionNumber)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ours := func(i int) bool { return v.Verify(payloads[i%len(payloads)]).Valid }
	bare := func(i int) bool { j := i % len(msgs); return ed25519.Verify(pub, msgs[j], sigs[j]) }
	var bestOurs, bestBare float64
	for r := 0; r < *rounds; r++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := benchRate(ours, *per)
		if err != nil {
			return err
		}
		b, err := benchRate(bare, *per)
		if err != nil {
			return err
		}
		bestOurs, bestBare = max(bestOurs, a), max(bestBare, b)
	}
	fmt.Fprintf(app.Stdout, app.T("  lifeline 核验       %9.0f 次/秒/核\n", "  lifeline Verify     %9.0f verifications/s per core\n"), bestOurs)
	fmt.Fprintf(app.Stdout, app.T("  裸 ed25519.Verify   %9.0f 次/秒/核\n", "  bare ed25519.Verify %9.0f verifications/s per core\n"), bestBare)
	fmt.Fprintf(app.Stdout, app.T("  比值                %9.1f%%（目标 ≥ 75%%）\n", "  ratio               %9.1f%% (target at least 75%%)\n"), 100*bestOurs/bestBare)
	runtime.UnlockOSThread()

	if *revoked > 0 {
		if err := benchRevocations(app, *revoked); err != nil {
			return err
		}
	}
	return nil
}

// benchRate runs fn for about d of this thread's CPU time and returns
// calls per CPU second: the rate one core sustains.
func benchRate(fn func(int) bool, d time.Duration) (float64, error) {
	start := threadCPU()
	calls := 0
	for threadCPU()-start < d {
		for i := 0; i < 64; i++ {
			if !fn(calls) {
				return 0, fmt.Errorf("benchmark: verification %d failed", calls)
			}
			calls++
		}
	}
	return float64(calls) / (threadCPU() - start).Seconds(), nil
}

func benchRevocations(app *Bench, n int) error {
	var b code.RevocationBuilder
	serial := make([]byte, code.SerialSize)
	probe := make([][]byte, 0, 1000)
	for i := 0; i < n; i++ {
		rand.Read(serial)
		b.AddSerial(serial)
		if i%(n/1000+1) == 0 {
			probe = append(probe, bytes.Clone(serial))
		}
	}
	var buf bytes.Buffer
	if _, err := b.Build(time.Now()).WriteTo(&buf); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lifeline-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "revoked.bin")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return err
	}
	best := time.Duration(1 << 62)
	var l *code.RevocationList
	for i := 0; i < 3; i++ {
		start := time.Now()
		if l, err = code.LoadRevocationList(path); err != nil {
			return err
		}
		best = min(best, time.Since(start))
	}
	start := time.Now()
	lookups := 0
	for time.Since(start) < 200*time.Millisecond {
		for _, s := range probe {
			if !l.RevokedSerial(s) {
				return fmt.Errorf("benchmark: revoked serial not found")
			}
			lookups++
		}
	}
	rate := float64(lookups) / time.Since(start).Seconds()
	fmt.Fprintf(app.Stdout, app.T("吊销列表：%d 条，%d 字节（%.1f MB），载入 %s，查询 %.1f 百万次/秒\n", "revocation list: %d entries, %d bytes (%.1f MB), loads in %s, %.1fM lookups/s\n"),
		l.Len(), buf.Len(), float64(buf.Len())/1e6, best.Round(time.Millisecond), rate/1e6)
	return nil
}

package main

import (
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
	key, err := code.NewKey(now.Add(-time.Hour), now.Add(code.DefaultMaxValidity+24*time.Hour))
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

// benchRevocations signs a full revocation list of n serials with a
// throwaway root, then times what a checkpoint does with it: read the file,
// check the signature and the order. It also signs a day's delta (10,000
// serials in, 10,000 out) and gives its size.
func benchRevocations(app *Bench, n int) error {
	dir, err := os.MkdirTemp("", "lifeline-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	root, err := code.GenerateRootKey(filepath.Join(dir, "root.key"), time.Now())
	if err != nil {
		return err
	}
	var b code.RevocationBuilder
	serials := make([][]byte, n)
	for i := range serials {
		serials[i] = make([]byte, code.SerialSize)
		rand.Read(serials[i])
		b.AddSerial(serials[i])
	}
	full := b.Build()
	raw, err := code.SignRevocationList(root, full, code.ListTimes(code.RevocationListKind, 1, time.Now(), 0, 0))
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "revocations.cose")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return err
	}
	best := time.Duration(1 << 62)
	var l *code.SignedList
	for i := 0; i < 3; i++ {
		start := time.Now()
		f, err := code.ReadListFile(path)
		if err != nil {
			return err
		}
		if l, err = code.OpenList(f.Data, code.Roots{root.Pin()}); err != nil {
			return err
		}
		best = min(best, time.Since(start))
	}
	start := time.Now()
	lookups := 0
	for time.Since(start) < 200*time.Millisecond {
		for _, s := range serials[:min(n, 1000)] {
			if !l.Revocations.RevokedSerial(s) {
				return fmt.Errorf("benchmark: revoked serial not found")
			}
			lookups++
		}
	}
	rate := float64(lookups) / time.Since(start).Seconds()
	fmt.Fprintf(app.Stdout, app.T("吊销列表：%d 条，已签名 %d 字节（%.1f MB，目标 < 16 MB），读取并验签 %s（目标 < 1 秒），查询 %.1f 百万次/秒\n", "revocation list: %d entries, signed %d bytes (%.1f MB, target under 16 MB), read and signature checked in %s (target under 1 s), %.1fM lookups/s\n"),
		l.Revocations.Len(), len(raw), float64(len(raw))/1e6, best.Round(time.Millisecond), rate/1e6)
	return benchDelta(app, root, full, serials)
}

// benchDelta signs a day's delta of the list: 10,000 serials out, 10,000 in.
func benchDelta(app *Bench, root *code.RootKey, full *code.RevocationList, serials [][]byte) error {
	day := min(10_000, len(serials))
	var b code.RevocationBuilder
	for _, s := range serials[day:] {
		b.AddSerial(s)
	}
	s := make([]byte, code.SerialSize)
	for i := 0; i < day; i++ {
		rand.Read(s)
		b.AddSerial(s)
	}
	delta := code.DeltaOf(1, full, b.Build())
	raw, err := code.SignRevocationDelta(root, delta, code.ListTimes(code.RevocationDeltaKind, 2, time.Now(), 0, 0))
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("一天的增量：新增 %d、移除 %d，已签名 %d 字节（%.1f KB，目标 < 200 KB）\n", "a day's delta: %d added, %d removed, signed %d bytes (%.1f KB, target under 200 KB)\n"),
		len(delta.Added), len(delta.Removed), len(raw), float64(len(raw))/1e3)
	return nil
}

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/sms"
)

// TestREADMENumbersAreSeeded: every number the README texts or calls the
// gateway from is one the demo seeds, bound in a demo store, and the one
// lifeline demo prints; a store without them prints none.
func TestREADMENumbersAreSeeded(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	demo := filepath.Join(t.TempDir(), "demo.db")
	if code, _, errOut := cli(t, ctx, demo, "seed", "--residents", "2000", "--seed", strconv.Itoa(seed.DemoSeed), "--quiet"); code != 0 {
		t.Fatal(errOut)
	}
	db := openStore(t, demo)
	ex := seed.ExamplesIn(ctx, db, seed.Config{Residents: 2000, Seed: seed.DemoSeed})
	if ex.Mobile == "" || ex.Landline == "" || ex != seed.ExamplesOf(seed.Config{Residents: 2000, Seed: seed.DemoSeed}) {
		t.Fatalf("the demo store's examples %+v", ex)
	}
	uses := regexp.MustCompile(`sms (send|call) [^\n]*--from (\+\d+)`).FindAllStringSubmatch(string(readme), -1)
	if len(uses) < 3 {
		t.Fatalf("the README texts or calls the gateway %d times, want its examples", len(uses))
	}
	for _, u := range uses {
		want := ex.Mobile
		if u[1] == "call" {
			want = ex.Landline
		}
		if u[2] != want {
			t.Errorf("the README's %q uses %s, want the seeded %s", u[0], u[2], want)
		}
	}

	// A store holding none of them prints none.
	empty := openStore(t, filepath.Join(t.TempDir(), "empty.db"))
	if ex := seed.ExamplesIn(ctx, empty, seed.Config{Residents: 2000, Seed: seed.DemoSeed}); ex != (seed.Examples{}) {
		t.Fatalf("an empty store gives examples %+v", ex)
	}
}

// TestSMSCall: lifeline sms call plays Twilio for a call to a running
// gateway, printing what is said and pressing --digits, or the keys typed
// on standard input.
func TestSMSCall(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "demo.db")
	if code, _, errOut := cli(t, ctx, path, "seed", "--residents", "300", "--seed", strconv.Itoa(seed.DemoSeed), "--quiet"); code != 0 {
		t.Fatal(errOut)
	}
	db := openStore(t, path)
	ex := seed.ExamplesIn(ctx, db, seed.Config{Residents: 300, Seed: seed.DemoSeed})
	addr, stop, err := sms.ServeLocal(ctx, db, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	url := "http://" + addr + "/voice"
	code, out, errOut := cli(t, ctx, path, "sms", "call", "--url", url, "--from", ex.Landline, "--digits", "2-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"说：您好，这里是社区健康码语音服务。", "说：第一位。", "按键：2\n说：第二位。", "（未按键）", "说：感谢来电，再见。", "（挂断）"} {
		if !strings.Contains(out, want) {
			t.Fatalf("sms call printed no %q:\n%s", want, out)
		}
	}
	var typed bytes.Buffer
	code = run(ctx, []string{"--db", path, "--lang", "en", "sms", "call", "--url", url, "--from", ex.Landline}, strings.NewReader("0\n"), &typed, io.Discard)
	if code != 0 || !strings.Contains(typed.String(), "key: 0\nsay: 感谢来电，再见。\n(hang up)") {
		t.Fatalf("a key typed on standard input: exit %d\n%s", code, typed.String())
	}
	code, _, errOut = cli(t, ctx, path, "sms", "call", "--url", url)
	if code != 2 || !strings.Contains(errOut, "--from") {
		t.Fatalf("no --from: exit %d %s", code, errOut)
	}
}

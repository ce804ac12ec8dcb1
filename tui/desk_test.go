package tui

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"golang.org/x/term"
)

// TestDesk: a desk prints into its directory, made if missing, and checks
// codes with its own keys when no root is pinned; with neither, checking
// is not set up; Run refuses to start without a terminal.
func TestDesk(t *testing.T) {
	f := newFixture(t)
	keys, out := filepath.Join(f.dir, "keys"), filepath.Join(f.dir, "new", "out")
	check := code.VerifierSetup{KeyDir: keys, Dir: filepath.Join(f.dir, "checkpoint")}
	places := DeskPlaces{Site: "desk 1", PrintDir: out, Check: check, Printer: "office", PrintSettings: filepath.Join(f.dir, "printers.json")}
	cfg, err := Desk(f.db, lifeline.En, places)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || !st.IsDir() {
		t.Fatalf("print directory: %v", err)
	}
	if cfg.Print == nil || cfg.Check != nil || cfg.Site != "desk 1" || cfg.Store == nil {
		t.Fatalf("without keys: print %v, check %v", cfg.Print != nil, cfg.Check != nil)
	}
	k, err := code.GenerateKey(keys, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Printer == nil || cfg.Printer.Name != "office" || cfg.PrintSettings != places.PrintSettings {
		t.Fatalf("printer %+v, settings %q", cfg.Printer, cfg.PrintSettings)
	}
	if cfg, err = Desk(f.db, lifeline.En, places); err != nil || cfg.Check == nil {
		t.Fatalf("with a key: check %v, %v", cfg.Check != nil, err)
	}
	payload, _, err := (&code.Issuer{Key: k}).Issue(code.HolderOf(f.zhang), "幸福社区")
	if err != nil {
		t.Fatal(err)
	}
	if res := cfg.Check(context.Background(), payload); !res.Valid {
		t.Fatalf("a code of the desk's key: %+v", res)
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return // a terminal is there: Run would start the screen
	}
	if err := Run(context.Background(), cfg); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("Run without a terminal: %v", err)
	}
}

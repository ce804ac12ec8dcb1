package tui

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

// attackName is a household member's name written before import refused
// control characters: it moves the cursor up, paints "GREEN" white on
// green over the line above and resets, so that a RED neighbour's screen
// shows a green status.
const attackName = "王五\x1b[2A\x1b[1G\x1b[42;37m  G R E E N  \x1b[0m\x1b[2B\u202e"

// storeRaw writes a resident's name straight into the store's file, as
// data stored before the checks at import would be: the store itself
// refuses such a name now.
func storeRaw(t *testing.T, f *fixture, id int64, name string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(f.dir, "lifeline.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE residents SET name = ? WHERE id = ?`, name, id); err != nil {
		t.Fatal(err)
	}
}

// TestStoredEscapesCannotPaintTheScreen: the RED resident's screen, and
// the find list of the household, show the member's name with its escapes
// written out; nothing in the name reaches the terminal as a control.
func TestStoredEscapesCannotPaintTheScreen(t *testing.T) {
	f := newFixture(t)
	m := &lifeline.Resident{Name: "王五", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: mainlandID(t, "11010519900101567")}, Address: f.wu.Address}
	if err := f.db.CreateResident(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateResident(context.Background(), &lifeline.Resident{Name: attackName, Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: mainlandID(t, "11010519900101575")}}); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("the store took the attack name: %v", err)
	}
	storeRaw(t, f, m.ID, attackName)

	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Type("12-1-101")
	waitFor(t, tm, "吴建国", `王五\x1b[2A`)
	v := final(t, tm).View()
	if strings.ContainsAny(v, "\x1b\u202e") {
		t.Fatalf("the find screen holds the name's controls:\n%q", v)
	}

	tm = run(t, f.config())
	login(t, tm, "wang")
	tm.Type(f.wu.Doc.Tail(4))
	waitFor(t, tm, "吴建国")
	tm.Send(enter)
	waitFor(t, tm, "红 码", `王五\x1b[2A\x1b[1G\x1b[42;37m`)
	v = final(t, tm).View()
	if strings.ContainsAny(v, "\x1b\u202e") {
		t.Fatalf("the resident screen holds the name's controls:\n%q", v)
	}
	if !strings.Contains(v, `\u202e`) {
		t.Errorf("the bidi override is not shown escaped:\n%s", v)
	}
}

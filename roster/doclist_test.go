package roster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestReadDocumentList: numbers as typed (a byte order mark, spaces and
// dashes, lower case, comments) find their residents once each; a second
// listing of the same person and a line that is no number are problems
// naming their line; a store failure is an error, not a problem.
func TestReadDocumentList(t *testing.T) {
	known := map[string]*lifeline.Resident{"E12345678": {ID: 1}, "E87654321": {ID: 2}}
	lookup := func(n string) (*lifeline.Resident, error) {
		if r := known[n]; r != nil {
			return r, nil
		}
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("无", "none"))
	}
	in := "\ufeffe1234 5678\r\n# c\n\nE87654321 # x\nE1234-5678\n!!\nE00000000\n"
	rs, problems, err := ReadDocumentList(strings.NewReader(in), "l", lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ID != 1 || rs[1].ID != 2 {
		t.Fatalf("residents %v", rs)
	}
	want := []string{"l:5: same person as line 1", "l:6: \"**\" is not a document number", "l:7: no resident holds E****0000"}
	if len(problems) != len(want) {
		t.Fatalf("problems %v, want %v", problems, want)
	}
	for i, p := range problems {
		if p.En != want[i] || !strings.HasPrefix(p.Zh, want[i][:4]) {
			t.Errorf("problem %d: %q / %q, want %q", i, p.En, p.Zh, want[i])
		}
	}
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if rs, problems, err := ReadDocumentListFile(path, lookup); err != nil || len(rs) != 2 || len(problems) != 3 || !strings.HasPrefix(problems[0].En, path+":5: ") {
		t.Fatalf("from a file: %v %v %v", rs, problems, err)
	}
	if _, _, err := ReadDocumentListFile(path+".missing", lookup); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("a missing list: %v", err)
	}
	down := errors.New("store down")
	if _, _, err := ReadDocumentList(strings.NewReader("E12345678\n"), "l", func(string) (*lifeline.Resident, error) { return nil, down }); !errors.Is(err, down) {
		t.Fatalf("a failing lookup gives %v, want the store's error", err)
	}
}

func FuzzReadDocumentList(f *testing.F) {
	f.Add("E12345678\n# c\n\n110105194912310021\n")
	f.Add("\ufeff  abc \r\n####\n")
	f.Fuzz(func(t *testing.T, in string) {
		lookup := func(n string) (*lifeline.Resident, error) {
			if !plausibleDocNumber(n) {
				t.Fatalf("looked up implausible %q", n)
			}
			return &lifeline.Resident{ID: int64(len(n))}, nil
		}
		rs, problems, err := ReadDocumentList(strings.NewReader(in), "f", lookup)
		if err != nil {
			return // a line longer than the scanner's buffer
		}
		for _, p := range problems {
			if !strings.HasPrefix(p.En, "f:") || !strings.HasPrefix(p.Zh, "f:") {
				t.Fatalf("problem without file:line: %q", p.En)
			}
		}
		seen := map[int64]bool{}
		for _, r := range rs {
			if seen[r.ID] {
				t.Fatal("a resident listed twice")
			}
			seen[r.ID] = true
		}
	})
}

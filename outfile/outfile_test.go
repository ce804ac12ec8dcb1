package outfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

func write(t *testing.T, path, content string) error {
	t.Helper()
	return WriteBytes(path, []byte(content), 0o600)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers are the temporary files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestNewAndReplacedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rejects.csv")
	if err := write(t, p, "one"); err != nil {
		t.Fatal(err)
	}
	if err := write(t, p, "two"); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if got := read(t, p); got != "two" || fi.Mode().Perm() != 0o600 {
		t.Errorf("got %q mode %v", got, fi.Mode())
	}
	// A failed write leaves the old file as it was, and no temporary file.
	err := Write(p, 0o600, func(w io.Writer) error { w.Write([]byte("half")); return errors.New("disk full") })
	if err == nil || read(t, p) != "two" || len(leftovers(t, dir)) > 0 {
		t.Errorf("failed write: err %v, content %q, left %v", err, read(t, p), leftovers(t, dir))
	}
}

// TestSymlinkIsFollowed: a link to a regular file stays a link, and the
// file it points to gets the new content.
func TestSymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	os.Mkdir(shared, 0o700)
	target := filepath.Join(shared, "revoked.bin")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "revoked.bin")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := write(t, link, "new"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if got := read(t, target); got != "new" {
		t.Errorf("target holds %q", got)
	}
	if l := leftovers(t, shared); len(l) > 0 {
		t.Errorf("left %v", l)
	}
}

func TestRefused(t *testing.T) {
	dir := t.TempDir()
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nothing"), dangling)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	linkToDir := filepath.Join(dir, "linkdir")
	os.Symlink(sub, linkToDir)
	for _, p := range []string{sub, linkToDir, dangling, filepath.Join(dir, "no", "such", "folder.csv")} {
		err := write(t, p, "x")
		if lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if msg := lifeline.ErrorMessage(err, lifeline.En); !strings.Contains(msg, p) {
			t.Errorf("%s: %q does not name the path", p, msg)
		}
		if Check(p) == nil {
			t.Errorf("Check(%s) passes", p)
		}
	}
	if fi, _ := os.Lstat(sub); !fi.IsDir() {
		t.Error("the folder was replaced")
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the dangling link was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); err == nil {
		t.Error("the dangling link's target was created")
	}
}

// TestFIFOIsWrittenNotReplaced: a named pipe is written to, as a script
// reading it expects, and stays a pipe.
func TestFIFOIsWrittenNotReplaced(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string)
	go func() {
		f, err := os.Open(p)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := write(t, p, "rows"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "rows" {
		t.Errorf("the reader got %q", s)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the pipe became %v", fi.Mode())
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left %v", l)
	}
}

// TestDeviceIsWrittenNotReplaced makes a device like /dev/null (char 1,3)
// in a temporary folder, never touching the real one, and writes to it
// directly and through a link, as --rejects /dev/null did when it replaced
// the system's /dev/null with a file.
func TestDeviceIsWrittenNotReplaced(t *testing.T) {
	dir := t.TempDir()
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skip("cannot make a device node here (needs root):", err)
	}
	link := filepath.Join(dir, "stdout")
	os.Symlink(null, link)
	for _, p := range []string{null, link} {
		if err := write(t, p, "rows"); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	fi, err := os.Lstat(null)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("the device became %v (%v)", fi.Mode(), err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link became %v", fi.Mode())
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left %v", l)
	}
}

func TestCreateNewNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k.key")
	os.WriteFile(p, []byte("old"), 0o600)
	if _, err := CreateNew(p, 0o600); lifeline.ErrorCode(err) != lifeline.ECONFLICT {
		t.Fatalf("CreateNew over a file: %v", err)
	}
	q := filepath.Join(dir, "q.key")
	f, err := CreateNew(q, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("mine"))
	os.WriteFile(q, []byte("theirs"), 0o600) // appears meanwhile
	if err := f.Commit(); lifeline.ErrorCode(err) != lifeline.ECONFLICT {
		t.Fatalf("Commit over a file that appeared: %v", err)
	}
	if got := read(t, q); got != "theirs" || len(leftovers(t, dir)) > 0 {
		t.Errorf("q holds %q, left %v", got, leftovers(t, dir))
	}
}

// TestAbortLeavesNothing: a file started and thrown away (Ctrl-C before a
// PDF's codes are recorded) changes nothing at the path.
func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cards.pdf")
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("%PDF"))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) || len(leftovers(t, dir)) > 0 {
		t.Errorf("after Abort: %v, left %v", err, leftovers(t, dir))
	}
}

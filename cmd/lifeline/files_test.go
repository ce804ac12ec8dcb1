package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputPaths: what --rejects and print --out do with what is already
// at the path (package outfile): a link to a file is followed and stays a
// link, a pipe and a device are written to and stay what they were, a
// folder is refused before anything is imported or printed.
func TestOutputPaths(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	in := "姓名,证件号码,楼栋,房号\n" +
		"张三," + testID(t, "11010519491231001") + ",1,101\n" +
		"李四,12345,1,102\n"
	f := writeFile(t, dir, "r.csv", []byte(in))
	importTo := func(rejects string) (int, string) {
		code, _, errOut := cli(t, ctx, db, "--lang", "en", "import", "--skip-invalid", "--rejects", rejects, f)
		return code, errOut
	}

	target := writeFile(t, dir, "kept.csv", []byte("old"))
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, errOut := importTo(link); code != 0 {
		t.Fatalf("--rejects LINK: exit %d %s", code, errOut)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link became %v", fi.Mode())
	}
	if b, _ := os.ReadFile(target); !bytes.Contains(b, []byte("李四")) {
		t.Errorf("the link's target holds %q", b)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	if code, errOut := importTo(fifo); code != 0 {
		t.Fatalf("--rejects FIFO: exit %d %s", code, errOut)
	}
	if b := <-got; !bytes.Contains(b, []byte("李四")) {
		t.Errorf("the pipe's reader got %q", b)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the pipe became %v", fi.Mode())
	}

	// A device like /dev/null (char 1,3), made here: the real one is
	// never touched.
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		if code, errOut := importTo(null); code != 0 {
			t.Fatalf("--rejects DEVICE: exit %d %s", code, errOut)
		}
		if fi, _ := os.Lstat(null); fi.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("the device became %v", fi.Mode())
		}
	} else {
		t.Log("no device node (needs root):", err)
	}

	folder := filepath.Join(dir, "folder")
	os.Mkdir(folder, 0o700)
	db2 := filepath.Join(dir, "other.db")
	code, _, errOut := cli(t, ctx, db2, "--lang", "en", "import", "--skip-invalid", "--rejects", folder, f)
	if code != 1 || !strings.Contains(errOut, folder+" is a folder") {
		t.Errorf("--rejects FOLDER: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(db2); err == nil {
		t.Error("a refused --rejects still created a store")
	}

	// print --out: a folder is refused before any code is issued; a pipe
	// gets the PDF.
	p := newPrintFixture(t)
	doc := p.residents[0].Doc.Number
	if code, _, errOut := p.run(t, "--resident", doc, "--out", p.dir); code != 1 || !strings.Contains(errOut, "is a folder") {
		t.Errorf("print --out FOLDER: exit %d %q", code, errOut)
	}
	if n := len(p.issued(t)); n != 0 {
		t.Errorf("%d residents got codes for a refused --out", n)
	}
	pdfPipe := filepath.Join(p.dir, "cards.pdf")
	syscall.Mkfifo(pdfPipe, 0o600)
	go func() {
		r, err := os.Open(pdfPipe)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	if code, _, errOut := p.run(t, "--resident", doc, "--out", pdfPipe); code != 0 {
		t.Fatalf("print --out FIFO: exit %d %s", code, errOut)
	}
	if b := <-got; !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("the pipe got %.20q, not a PDF", b)
	}
	if fi, _ := os.Lstat(pdfPipe); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the pipe became %v", fi.Mode())
	}
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/sms"
)

// TestFloorKeepsSignedTexts: the intake floor does what the issue asks of
// any accept-first intake, so that what it costs is a floor: a signed text
// is answered empty and is in its file when it is, at either path; an
// unsigned one is refused and kept nowhere.
func TestFloorKeepsSignedTexts(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveFloor(ctx, addr, dir) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	for !healthy(addr) {
		time.Sleep(20 * time.Millisecond)
	}
	g := newLoadGen([]string{"+8613900000000"}, "查询", 1)
	for _, path := range []string{floorWritePath, floorWritePath, floorSyncPath, floorSyncPath, floorSyncPath} {
		if got := g.do(ctx, "http://"+addr+path); got != outAccepted {
			t.Fatalf("a signed text to %s got outcome %d, want accepted with an empty response", path, got)
		}
	}
	for _, path := range []string{floorWritePath, floorSyncPath} {
		res, err := http.Post("http://"+addr+path, "application/x-www-form-urlencoded", strings.NewReader("MessageSid=SMx&From=%2B8613900000000&Body=x"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("an unsigned text to %s got %d, want 403", path, res.StatusCode)
		}
	}
	written, err := os.ReadFile(filepath.Join(dir, "written.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(written, []byte("\n")); n != 2 {
		t.Fatalf("the written log holds %d texts, want the 2 signed ones sent to it", n)
	}
	// What a crash would leave: the spool as read again from disk.
	spool, err := sms.OpenSpool(filepath.Join(dir, "spool"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := spool.Stats(); n != 3 {
		t.Fatalf("the spool on disk holds %d texts, want the 3 signed ones sent to it", n)
	}
}

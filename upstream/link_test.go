package upstream_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/upstream"
)

// TestLinkRun runs both halves of the link: the registrations waiting
// reach the platform, the results API answers on its listener, and the
// link stops when its context ends.
func TestLinkRun(t *testing.T) {
	db := openSQLite(t)
	seed(t, db, 3)
	p := newPlatform(0)
	platform := httptest.NewServer(p)
	defer platform.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	link := &upstream.Link{Store: db, URL: platform.URL, Token: "s3cret", Listener: ln, APIToken: apiToken,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: &out, Lang: lifeline.En}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- link.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for backlog(t, db) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
	if n := backlog(t, db); n != 0 {
		t.Fatalf("%d registrations still waiting", n)
	}
	code, _ := post(t, "http://"+ln.Addr().String(), apiToken, `{"result_id":"r1","resident":{"id":999},"color":"green"}`)
	if code != http.StatusNotFound {
		t.Fatalf("results API answered %d, want 404 for an unknown resident", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after its context ended: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "delivering on-site registrations to "+platform.URL) || !strings.Contains(s, "results API: http://"+ln.Addr().String()) {
		t.Fatalf("the link said %q", s)
	}
}

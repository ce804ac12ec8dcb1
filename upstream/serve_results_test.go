package upstream_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/lifeline-health/lifeline/upstream"
)

// TestServeResults: the results API answers on its path only, and stops
// cleanly when its context ends.
func TestServeResults(t *testing.T) {
	db := openSQLite(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- upstream.ServeResults(ctx, ln, upstream.NewResultsHandler(db, apiToken, nil)) }()
	url := "http://" + ln.Addr().String()
	if code, _ := post(t, url, apiToken, `{"result_id":"r1","resident":{"id":42},"color":"green"}`); code != http.StatusNotFound {
		t.Fatalf("unknown resident: %d, want 404 from the handler", code)
	}
	res, err := http.Get(url + "/other")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /other: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeResults after its context ended: %v", err)
	}
}

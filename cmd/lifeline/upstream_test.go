package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/upstream"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUpstreamCommand runs `lifeline upstream` against a stand-in platform:
// a registration made before it started is delivered, and a result pushed to
// its API turns the resident red.
func TestUpstreamCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l.db")
	db := openStore(t, path)
	ctx := context.Background()
	res := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"}}
	if err := db.CreateResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRegistration(ctx, &lifeline.Registration{ResidentID: res.ID, Tube: "T1", SampledAt: time.Now(), IdempotencyKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer up-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer platform.Close()
	t.Setenv(upstream.TokenEnv, "up-token")
	t.Setenv(upstream.APITokenEnv, "api-token")

	cctx, cancel := context.WithCancel(ctx)
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(cctx, []string{"--db", path, "--lang", "en", "upstream", "--upstream", platform.URL, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
	}()
	addrRE := regexp.MustCompile(`results API: (http://\S+)`)
	var api string
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := addrRE.FindStringSubmatch(out.String()); m != nil {
			api = m[1]
		}
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if api != "" && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no delivery or API within 20 s; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the running command
	}
	body := `{"result_id":"lab-1","resident":{"doc_number":"11010519491231002X"},"color":"red"}`
	req, _ := http.NewRequest(http.MethodPost, api, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer api-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]any
	json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || answer["color"] != "red" {
		t.Fatalf("results API: %d %v", resp.StatusCode, answer)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "k1" {
		t.Fatalf("platform got %v, want [k1]", got)
	}
	if n, _, _ := db.RegistrationBacklog(ctx); n != 0 {
		t.Fatalf("backlog %d after delivery", n)
	}
}

func TestUpstreamCommandNeedsTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	t.Setenv(upstream.TokenEnv, "")
	t.Setenv(upstream.APITokenEnv, "")
	for _, args := range [][]string{
		{"upstream"},
		{"upstream", "--upstream", "ftp://x"},
		{"upstream", "--upstream", "https://platform.example"},
		{"upstream", "--addr", "127.0.0.1:0"},
	} {
		var out, errOut syncBuffer
		code := run(context.Background(), append([]string{"--db", path, "--lang", "en"}, args...), strings.NewReader(""), &out, &errOut)
		if code == 0 || errOut.String() == "" {
			t.Errorf("%v: exit %d, stderr %q: want a refusal with a sentence", args, code, errOut.String())
		}
	}
}

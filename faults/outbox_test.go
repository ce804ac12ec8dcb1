package faults

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// fakeTwilio stands in for Twilio's Messages API: create (POST) and list
// (GET, filtered by To), which the sender uses to learn whether a message
// it was sending when it died was already accepted. It fails one create in
// fifteen with a 503.
type fakeTwilio struct {
	mu   sync.Mutex
	msgs []twMsg
	sent map[string]int // body -> times accepted
}

type twMsg struct {
	Sid, To, From, Body string
	Created             time.Time
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/Messages.json") {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.Method {
	case http.MethodPost:
		r.ParseForm()
		if rand.IntN(15) == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"code": 20503, "message": "Service unavailable", "status": 503}`)
			return
		}
		m := twMsg{Sid: fmt.Sprintf("SM%032d", len(f.msgs)+1), To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"), Created: time.Now()}
		f.msgs = append(f.msgs, m)
		f.sent[m.Body]++
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(twJSON(m))
	case http.MethodGet:
		to := r.URL.Query().Get("To")
		var list []map[string]any
		for _, m := range f.msgs {
			if to == "" || m.To == to {
				list = append(list, twJSON(m))
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"messages": list, "next_page_uri": nil, "page": 0, "page_size": len(list)})
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func twJSON(m twMsg) map[string]any {
	return map[string]any{"sid": m.Sid, "to": m.To, "from": m.From, "body": m.Body, "status": "queued",
		"date_created": m.Created.Format(time.RFC1123Z), "date_sent": m.Created.Format(time.RFC1123Z)}
}

// TestKillDuringOutboxSend kills the outbox sender under load again and
// again. In the end every queued message is stored once and was accepted
// by Twilio exactly once: a message that was being sent when the sender
// died is looked up at Twilio before it is sent again.
func TestKillDuringOutboxSend(t *testing.T) {
	n := kills(t)
	path := filepath.Join(t.TempDir(), "lifeline.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The outbox is kept under load: whenever the sender has nearly caught
	// up, more messages are queued, so every kill lands mid-sending however
	// fast the machine is.
	total := 0
	refill := func() {
		if depth, err := db.OutboxDepth(ctx); err != nil || depth > 300 {
			return
		}
		for range 1000 {
			m := &lifeline.OutboxMessage{To: fmt.Sprintf("+861380000%04d", total%50), Body: fmt.Sprintf("结果已出 #%d", total), Kind: "result", DedupeKey: fmt.Sprintf("k-%d", total)}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			total++
		}
	}
	refill()
	tw := &fakeTwilio{sent: map[string]int{}}
	srv := httptest.NewServer(tw)
	defer srv.Close()
	env := []string{"FAULTS_DB=" + path, "FAULTS_TWILIO=" + srv.URL}

	check := func(when string) {
		sq := checkSQLite(t, path)
		var rows, keys int
		if err := sq.QueryRow("SELECT COUNT(*), COUNT(DISTINCT dedupe_key) FROM outbox").Scan(&rows, &keys); err != nil {
			t.Fatal(err)
		}
		sq.Close()
		if rows != total || keys != total {
			t.Fatalf("%s: outbox holds %d rows with %d keys, want %d once each", when, rows, keys, total)
		}
		tw.mu.Lock()
		defer tw.mu.Unlock()
		for body, c := range tw.sent {
			if c > 1 {
				t.Fatalf("%s: %q accepted by Twilio %d times", when, body, c)
			}
		}
	}
	midway := 0
	for i := range n {
		refill()
		c := start(t, child("send", env...))
		c.waitReady(t)
		c.killAfter(t, randDelay(time.Millisecond, 200*time.Millisecond))
		check(fmt.Sprintf("kill %d", i))
		if depth, _ := db.OutboxDepth(ctx); depth > 0 {
			midway++
		}
	}
	if midway < n/2 {
		t.Fatalf("only %d of %d kills hit the sender with messages still queued; the test is not testing", midway, n)
	}
	c := start(t, child("send", env...))
	c.waitReady(t)
	deadline := time.Now().Add(90 * time.Second)
	for {
		depth, err := db.OutboxDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			c.killAfter(t, 0)
			t.Fatalf("%d messages still queued after 90 s\n%s", depth, c.errText())
		}
		time.Sleep(20 * time.Millisecond) // polling the store, not waiting for time to pass
	}
	c.killAfter(t, 0)
	check("end")
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if len(tw.sent) != total {
		t.Fatalf("Twilio accepted %d distinct messages, want %d; outbox: %s", len(tw.sent), total, outboxStates(t, path))
	}
	t.Logf("%d kills (%d with messages still queued), %d messages each accepted by Twilio exactly once", n, midway, total)
}

// outboxStates summarises the outbox for a failure message.
func outboxStates(t *testing.T, path string) string {
	sq := checkSQLite(t, path)
	defer sq.Close()
	rows, err := sq.Query("SELECT state, COUNT(*), MAX(error) FROM outbox GROUP BY state")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var state, errMsg string
		var n int
		rows.Scan(&state, &n, &errMsg)
		fmt.Fprintf(&b, "%s=%d (%s) ", state, n, errMsg)
	}
	return b.String()
}

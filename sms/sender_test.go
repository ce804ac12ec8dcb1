package sms_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

const sendingNumber = "+12025550100"

// twilioStandIn plays Twilio's REST API on loopback: it creates messages
// (POST .../Messages.json) and lists them (GET), answering as Twilio does,
// errors included. answer decides the outcome of the n-th create (from 1).
type twilioStandIn struct {
	mu      sync.Mutex
	posts   int
	lists   int
	created []standInMessage
	answer  func(n int) (status, code int)
	// accepted runs after the n-th create is recorded and before the answer
	// is written (the crash test kills the sender there).
	accepted func(n int)
	// hangUp closes the connection without an answer after recording the
	// n-th create, as a network failure would.
	hangUp func(n int) bool
	ts     *httptest.Server
}

type standInMessage struct {
	Sid, To, From, Body string
	Created             time.Time
}

func newTwilioStandIn(t *testing.T) *twilioStandIn {
	s := &twilioStandIn{}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.ts.Close)
	return s
}

func (s *twilioStandIn) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	want := "/2010-04-01/Accounts/" + testAccount + "/Messages.json"
	if !ok || user != testAccount || pass != testToken {
		twilioError(w, 401, 20003, "Authenticate")
		return
	}
	if r.URL.Path != want {
		twilioError(w, 404, 20404, "not found: "+r.URL.Path)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method == "GET" {
		s.mu.Lock()
		s.lists++
		var out []map[string]any
		for _, m := range s.created {
			if m.To == r.URL.Query().Get("To") && (r.URL.Query().Get("From") == "" || m.From == r.URL.Query().Get("From")) {
				out = append(out, messageJSON(m))
			}
		}
		s.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"messages": out, "next_page_uri": nil, "page": 0, "page_size": 50})
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, 400, 21000, "bad form")
		return
	}
	s.mu.Lock()
	s.posts++
	n := s.posts
	status, code := 201, 0
	if s.answer != nil {
		status, code = s.answer(n)
	}
	if status != 201 {
		s.mu.Unlock()
		twilioError(w, status, code, "stand-in error")
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	m := standInMessage{Sid: "SM" + hex.EncodeToString(b), To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"), Created: time.Now()}
	s.created = append(s.created, m)
	accepted, hangUp := s.accepted, s.hangUp != nil && s.hangUp(n)
	s.mu.Unlock()
	if accepted != nil {
		accepted(n)
	}
	if hangUp {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.WriteHeader(201)
	json.NewEncoder(w).Encode(messageJSON(m))
}

func messageJSON(m standInMessage) map[string]any {
	return map[string]any{"sid": m.Sid, "account_sid": testAccount, "to": m.To, "from": m.From, "body": m.Body,
		"status": "queued", "num_segments": "1", "direction": "outbound-api",
		"date_created": m.Created.UTC().Format(time.RFC1123Z)}
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

// configure sets the stand-in's behaviour under its lock: the requests it
// serves may come from another process, which the race detector cannot
// see ordered after the test's writes.
func (s *twilioStandIn) configure(fn func(s *twilioStandIn)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func (s *twilioStandIn) counts() (posts, lists int, created []standInMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts, s.lists, append([]standInMessage(nil), s.created...)
}

// standInTwilio is the Twilio provider, sending through the stand-in at
// apiURL.
func standInTwilio(t testing.TB, apiURL string) *sms.Twilio {
	t.Helper()
	rest, err := sms.NewTwilioClient(testAccount, testToken, apiURL)
	if err != nil {
		t.Fatal(err)
	}
	return &sms.Twilio{REST: rest, AccountSid: testAccount, From: sendingNumber}
}

// newTestSender builds a sender against the stand-in with a fake clock
// shared with the store.
func newTestSender(t *testing.T, db *store.DB, api *twilioStandIn, clock *testClock) *sms.Sender {
	t.Helper()
	db.Now = clock.Now
	s, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: standInTwilio(t, api.ts.URL), Now: clock.Now,
		Lease: time.Minute, MaxAttempts: 4, BackoffBase: time.Second, BackoffMax: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stateOf reads a message's state by queueing its key again.
func stateOf(t *testing.T, db *store.DB, key string) lifeline.OutboxState {
	t.Helper()
	m := &lifeline.OutboxMessage{To: "+8613800000000", Body: "probe", DedupeKey: key}
	if err := db.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m.State
}

// drain runs batches, moving the clock past every backoff, until nothing
// is queued.
func drain(t *testing.T, db *store.DB, s *sms.Sender, clock *testClock) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		if _, err := s.SendBatch(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.OutboxDepth(ctx); n == 0 {
			return
		}
		clock.Add(2 * time.Minute)
	}
	t.Fatal("the outbox never drained")
}

func TestSenderRetriesOn429And5xx(t *testing.T) {
	db := openStore(t)
	api := newTwilioStandIn(t)
	api.configure(func(api *twilioStandIn) {
		api.answer = func(n int) (int, int) {
			switch n {
			case 1:
				return 429, 20429
			case 2:
				return 500, 20500
			case 3:
				return 503, 20503
			}
			return 201, 0
		}
	})
	clock := &testClock{t: testNow}
	s := newTestSender(t, db, api, clock)
	ctx := context.Background()
	if err := db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(1), Body: "张*丰 核酸结果：阴性", DedupeKey: "r1"}); err != nil {
		t.Fatal(err)
	}
	// The first attempt fails with 429: nothing more happens before the
	// backoff has passed.
	s.SendBatch(ctx)
	s.SendBatch(ctx)
	if posts, _, _ := api.counts(); posts != 1 {
		t.Fatalf("retried before the backoff: %d posts", posts)
	}
	drain(t, db, s, clock)
	posts, _, created := api.counts()
	if posts != 4 || len(created) != 1 || created[0].To != phone(1) || created[0].From != sendingNumber {
		t.Fatalf("posts %d, created %+v", posts, created)
	}
	if got := stateOf(t, db, "r1"); got != lifeline.OutboxAccepted {
		t.Fatalf("state %s, want accepted", got)
	}
	// The SID stored is Twilio's: its delivery callback finds the message.
	if err := db.RecordDelivery(ctx, created[0].Sid, "delivered", ""); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, db, "r1"); got != lifeline.OutboxDelivered {
		t.Fatalf("after the callback: %s", got)
	}
}

func TestSenderGivesUpAfterMaxAttempts(t *testing.T) {
	db := openStore(t)
	api := newTwilioStandIn(t)
	api.configure(func(api *twilioStandIn) { api.answer = func(int) (int, int) { return 503, 20503 } })
	clock := &testClock{t: testNow}
	s := newTestSender(t, db, api, clock)
	db.Enqueue(context.Background(), &lifeline.OutboxMessage{To: phone(1), Body: "x", DedupeKey: "k"})
	drain(t, db, s, clock)
	if posts, _, _ := api.counts(); posts != 4 {
		t.Fatalf("%d attempts, want 4", posts)
	}
	if got := stateOf(t, db, "k"); got != lifeline.OutboxFailed {
		t.Fatalf("state %s", got)
	}
}

func TestSenderStopsOnPermanentErrors(t *testing.T) {
	db := openStore(t)
	api := newTwilioStandIn(t)
	api.configure(func(api *twilioStandIn) {
		api.answer = func(n int) (int, int) {
			if n == 1 {
				return 400, sms.ErrOptedOut
			}
			return 400, 21211 // invalid 'To' number
		}
	})
	clock := &testClock{t: testNow}
	s := newTestSender(t, db, api, clock)
	ctx := context.Background()
	db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(1), Body: "a", DedupeKey: "a"})
	drain(t, db, s, clock)
	if out, _ := db.OptedOut(ctx, phone(1)); !out {
		t.Fatal("21610 did not record the opt-out")
	}
	if got := stateOf(t, db, "a"); got != lifeline.OutboxFailed {
		t.Fatalf("state %s", got)
	}
	later := &lifeline.OutboxMessage{To: phone(1), Body: "b", DedupeKey: "b"}
	db.Enqueue(ctx, later)
	if later.State != lifeline.OutboxDropped {
		t.Fatalf("a message to the opted-out number is %s", later.State)
	}
	db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(2), Body: "c", DedupeKey: "c"})
	drain(t, db, s, clock)
	if posts, _, _ := api.counts(); posts != 2 {
		t.Fatalf("%d posts: permanent errors must not be retried", posts)
	}
	if got := stateOf(t, db, "c"); got != lifeline.OutboxFailed {
		t.Fatalf("21211: state %s", got)
	}
	if out, _ := db.OptedOut(ctx, phone(2)); out {
		t.Fatal("21211 is not an opt-out")
	}
}

// TestSenderLostAnswerIsNotSentTwice: Twilio takes the message but the
// answer never arrives. The sender records nothing; after the lease the
// message comes back in doubt, the sender finds it at Twilio and records it
// without sending it again.
func TestSenderLostAnswerIsNotSentTwice(t *testing.T) {
	db := openStore(t)
	api := newTwilioStandIn(t)
	api.configure(func(api *twilioStandIn) { api.hangUp = func(n int) bool { return n == 1 } })
	clock := &testClock{t: testNow}
	s := newTestSender(t, db, api, clock)
	ctx := context.Background()
	db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(1), Body: "lost answer", DedupeKey: "x"})
	db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(1), Body: "other", DedupeKey: "y"})
	drain(t, db, s, clock)
	posts, lists, created := api.counts()
	if posts != 2 || len(created) != 2 || lists != 1 {
		t.Fatalf("posts %d, lists %d, created %d: want 2, 1, 2", posts, lists, len(created))
	}
	if stateOf(t, db, "x") != lifeline.OutboxAccepted || stateOf(t, db, "y") != lifeline.OutboxAccepted {
		t.Fatal("not both accepted")
	}
}

// The crash test runs the sender in a child process (this test binary run
// again) against a SQLite file and kills it with SIGKILL in the middle of
// sending, then runs it again until the outbox is empty.
const (
	crashChildEnv = "LIFELINE_SMS_CRASH_CHILD"
	crashDBEnv    = "LIFELINE_SMS_CRASH_DB"
	crashAPIEnv   = "LIFELINE_SMS_CRASH_API"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(runCrashChild())
	}
	os.Exit(m.Run())
}

// runCrashChild sends until nothing is queued.
func runCrashChild() int {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(crashDBEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	rest, err := sms.NewTwilioClient(testAccount, testToken, os.Getenv(crashAPIEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tw := &sms.Twilio{REST: rest, AccountSid: testAccount, From: sendingNumber}
	s, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: tw, Batch: 4, Lease: time.Second, Poll: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	go s.Run(ctx)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return 2
		case <-tick.C:
			if depth, err := db.OutboxDepth(ctx); err == nil && depth == 0 {
				return 0
			}
		}
	}
}

func TestSenderCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dbPath := filepath.Join(t.TempDir(), "outbox.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := 0; i < n; i++ {
		if err := db.Enqueue(context.Background(), &lifeline.OutboxMessage{To: phone(i % 7), Body: fmt.Sprintf("通知 %02d", i), DedupeKey: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	api := newTwilioStandIn(t)
	var mu sync.Mutex
	var child *exec.Cmd
	killAt := map[int]bool{9: true, 23: true}
	api.configure(func(api *twilioStandIn) {
		api.accepted = func(n int) {
			mu.Lock()
			defer mu.Unlock()
			if killAt[n] && child != nil {
				// Twilio has the message; the sender dies before hearing so.
				child.Process.Kill()
			}
		}
	})
	runs := 0
	for {
		runs++
		if runs > 5 {
			t.Fatal("the sender never finished")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDBEnv+"="+dbPath, crashAPIEnv+"="+api.ts.URL)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		mu.Lock()
		child = cmd
		err := cmd.Start()
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if err == nil {
			break
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
			t.Fatalf("run %d: %v\n%s", runs, err, stderr.String())
		}
		t.Logf("run %d killed", runs)
	}
	if runs != 3 {
		t.Fatalf("%d runs, want 3 (two kills)", runs)
	}
	_, _, created := api.counts()
	byBody := map[string]int{}
	for _, m := range created {
		byBody[m.Body]++
	}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("通知 %02d", i)
		if byBody[body] != 1 {
			t.Errorf("%q accepted by Twilio %d times", body, byBody[body])
		}
	}
	if len(created) != n {
		t.Errorf("Twilio accepted %d messages, want %d", len(created), n)
	}
	// Every message is recorded as accepted, under the SID Twilio gave it.
	db, err = store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, m := range created {
		if err := db.RecordDelivery(context.Background(), m.Sid, "delivered", ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if got := stateOf(t, db, fmt.Sprint(i)); got != lifeline.OutboxDelivered {
			t.Errorf("message %d: %s", i, got)
		}
	}
}

// TestSenderThrottledAndPaced: refusals for the account's rate (HTTP 429,
// Twilio 20429 and 63018) put the message back without using up its
// attempts; the sender sends answers before notices, and no faster than
// its rate.
func TestSenderThrottledAndPaced(t *testing.T) {
	db := openStore(t)
	api := newTwilioStandIn(t)
	api.configure(func(api *twilioStandIn) {
		api.answer = func(n int) (int, int) {
			switch n {
			case 1:
				return 429, 20429
			case 2:
				return 400, 63018
			case 3:
				return 429, 0
			}
			return 201, 0
		}
	})
	clock := &testClock{t: testNow}
	db.Now = clock.Now
	s, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: standInTwilio(t, api.ts.URL), Now: clock.Now,
		Lease: time.Minute, MaxAttempts: 2, BackoffBase: time.Second, ThrottleBase: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(1), Body: "throttled", DedupeKey: "t1"}); err != nil {
		t.Fatal(err)
	}
	drain(t, db, s, clock)
	if posts, _, created := api.counts(); posts != 4 || len(created) != 1 {
		t.Fatalf("%d posts, %d created; want 3 throttled and 1 accepted, though MaxAttempts is 2", posts, len(created))
	}
	if got := stateOf(t, db, "t1"); got != lifeline.OutboxAccepted {
		t.Fatalf("state %s", got)
	}

	// Paced at 2 a second: answers first.
	paced, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: standInTwilio(t, api.ts.URL), Now: clock.Now, Rate: 2, Batch: 10, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(2), Body: "notice", Kind: "result", DedupeKey: "n1"})
	for i := range 3 {
		db.Enqueue(ctx, &lifeline.OutboxMessage{To: phone(3), Body: fmt.Sprint("answer ", i), Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey(fmt.Sprint("SMp", i))})
	}
	sent := func() []string {
		t.Helper()
		if _, err := paced.SendBatch(ctx); err != nil {
			t.Fatal(err)
		}
		_, _, created := api.counts()
		var out []string
		for _, m := range created[1:] {
			out = append(out, m.Body)
		}
		return out
	}
	if got := sent(); fmt.Sprint(got) != "[answer 0 answer 1]" {
		t.Fatalf("first second: %v", got)
	}
	if got := sent(); len(got) != 2 {
		t.Fatalf("more sent within the same second: %v", got)
	}
	clock.Add(time.Second)
	if got := sent(); fmt.Sprint(got) != "[answer 0 answer 1 answer 2 notice]" {
		t.Fatalf("after a second: %v", got)
	}
}

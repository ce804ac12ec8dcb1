package sms_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// Fake but well-formed Twilio credentials: twilio-go refuses anything not
// alphanumeric.
const (
	testAccount = "AC0123456789abcdef0123456789abcdef"
	testToken   = "0123456789abcdef0123456789abcdef"
)

// testNow is the moment the tests live in: Saturday 9 April 2022, 10:00 in
// Shanghai.
var (
	shanghai = time.FixedZone("CST", 8*3600)
	testNow  = time.Date(2022, 4, 9, 10, 0, 0, 0, shanghai)
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
func (c *testClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// openStore opens a fresh SQLite store in a temp dir.
func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// idNumber returns a valid mainland ID number for person n.
func idNumber(n int) string {
	first := fmt.Sprintf("11010519%02d%02d%02d%03d", 40+n%50, 1+n%12, 1+n%28, n%1000)
	c, _ := lifeline.MainlandIDCheckDigit(first)
	return first + string(c)
}

// phone returns the E.164 mobile number of test phone n.
func phone(n int) string { return fmt.Sprintf("+86138%08d", n) }

// addResident stores one resident with a status: green, and a negative test
// sampled 4/9 08:00 that the store heard of at updated.
func addResident(t testing.TB, db *store.DB, n int, name string, phones []string, room string, updated time.Time) *lifeline.Resident {
	t.Helper()
	ctx := context.Background()
	r := &lifeline.Resident{
		Name:    name,
		Doc:     lifeline.Document{Type: lifeline.DocMainlandID, Number: idNumber(n)},
		Phones:  phones,
		Address: lifeline.Address{Community: "幸福", Building: "3", Unit: "2", Room: room},
	}
	if err := db.CreateResident(ctx, r); err != nil {
		t.Fatalf("create resident %d: %v", n, err)
	}
	now := db.Now
	db.Now = func() time.Time { return updated }
	defer func() { db.Now = now }()
	_, err := db.RecordResult(ctx, lifeline.StatusUpdate{
		ResidentID: r.ID, Color: lifeline.Green, At: updated,
		Test: &lifeline.TestResult{SampledAt: time.Date(2022, 4, 9, 8, 0, 0, 0, shanghai), Result: lifeline.Negative, Site: "幸福社区"},
	})
	if err != nil {
		t.Fatalf("record result %d: %v", n, err)
	}
	return r
}

// gateway is a running gateway over a real store.
type gateway struct {
	t      *testing.T
	db     *store.DB
	srv    *sms.Server
	ts     *httptest.Server
	clock  *testClock
	public string
	sid    int
}

func newGateway(t *testing.T, db *store.DB, tweak func(*sms.Config)) *gateway {
	t.Helper()
	clock := &testClock{t: testNow}
	cfg := sms.Config{
		Store:     db,
		AuthToken: testToken,
		// Twilio calls a public name; the gateway listens on loopback behind it.
		PublicURL: "https://sms.example.org",
		Now:       clock.Now,
		Location:  shanghai,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := sms.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &gateway{t: t, db: db, srv: srv, ts: ts, clock: clock, public: cfg.PublicURL}
}

// post sends form to path as Twilio would: signed over the public URL.
func (g *gateway) post(path string, form url.Values, sign bool) (int, http.Header, string) {
	g.t.Helper()
	req, err := http.NewRequest("POST", g.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set("X-Twilio-Signature", sms.Signature(testToken, g.public+path, form))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// text sends an SMS with a fresh MessageSid and returns the reply text.
func (g *gateway) text(from, body string) string {
	g.t.Helper()
	g.sid++
	return g.textSid(fmt.Sprintf("SM%032d", g.sid), from, body)
}

func (g *gateway) textSid(sid, from, body string) string {
	g.t.Helper()
	code, _, x := g.post("/sms", inbound(sid, from, body), true)
	if code != 200 {
		g.t.Fatalf("POST /sms %q: status %d: %s", body, code, x)
	}
	return replyText(g.t, x)
}

// inbound is the form Twilio posts for an SMS, including fields the
// gateway does not use.
func inbound(sid, from, body string) url.Values {
	return url.Values{
		"MessageSid":          {sid},
		"SmsSid":              {sid},
		"SmsMessageSid":       {sid},
		"AccountSid":          {testAccount},
		"From":                {from},
		"To":                  {"+12025550100"},
		"Body":                {body},
		"NumSegments":         {"1"},
		"NumMedia":            {"0"},
		"FromCountry":         {"CN"},
		"ApiVersion":          {"2010-04-01"},
		"SomeFieldAddedLater": {"x"},
	}
}

// sendHangingUp sends a signed text as Twilio would, to the gateway's
// handler served at base, in the background; the function it returns
// hangs up and returns what the caller got: an error, if no answer had
// come.
func (g *gateway) sendHangingUp(base, sid, from, body string) (hangUp func() error) {
	g.t.Helper()
	form := inbound(sid, from, body)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/sms", strings.NewReader(form.Encode()))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(testToken, g.public+"/sms", form))
	sent := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		sent <- err
	}()
	return func() error {
		cancel()
		return <-sent
	}
}

// heldClock holds the first read of a gateway's clock until let is
// called: the text that makes it holds its turn there (the handler reads
// the clock first thing in its turn).
type heldClock struct {
	reads   atomic.Int32
	entered chan struct{} // closed at the first read
	release chan struct{}
	once    sync.Once
}

// holdFirstClockRead makes c's clock a heldClock. The test defers let, so
// that a failure does not leave a handler held (a cleanup would run after
// the server's, which waits for that handler).
func holdFirstClockRead(c *sms.Config) *heldClock {
	h := &heldClock{entered: make(chan struct{}), release: make(chan struct{})}
	clock := c.Now
	c.Now = func() time.Time {
		if h.reads.Add(1) == 1 {
			close(h.entered)
			<-h.release
		}
		return clock()
	}
	return h
}

func (h *heldClock) let() { h.once.Do(func() { close(h.release) }) }

// oneTurnGateway is a gateway on a seeded store that works on one signed
// text at a time (MaxActive 1), whose first clock read is held.
func oneTurnGateway(t *testing.T) (*gateway, *heldClock) {
	db := openStore(t)
	seedFamily(t, db)
	var held *heldClock
	g := newGateway(t, db, func(c *sms.Config) {
		c.MaxActive = 1
		held = holdFirstClockRead(c)
	})
	return g, held
}

package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// The promise these tests hold the real lifeline binary to: every signed
// text that got a 200 is answered exactly once, inline in that response or
// through Twilio's REST API, whatever happens meanwhile (a surge, slow
// connections held open, kill -9, the store away), and no signed text gets
// a 5xx while it can be stored.

const (
	intakeToken   = "faultsintaketoken0123456789abcdef"
	intakeAccount = "AC0123456789abcdef0123456789abcdef"
	intakeFrom    = "+8610690000"
)

// surgeFor is how long a surge lasts: 30 s, or LIFELINE_SURGE.
func surgeFor(t *testing.T) time.Duration {
	if s := os.Getenv("LIFELINE_SURGE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("LIFELINE_SURGE=%q: want a duration", s)
		}
		return d
	}
	return 30 * time.Second
}

// restStandIn stands in for Twilio's REST API (Messages.json: create and
// list): it records every message created and, on demand, refuses creates
// with 429 (error 20429) or 500.
type restStandIn struct {
	mu      sync.Mutex
	creates []twMsg
	// Every throttleEvery-th create is refused with 429 and every
	// failEvery-th with 500 (0: never).
	throttleEvery, failEvery int
	posts                    int
	refused                  map[int]int // HTTP status → count
}

func newRESTStandIn(t *testing.T, throttleEvery, failEvery int) (*restStandIn, string) {
	s := &restStandIn{throttleEvery: throttleEvery, failEvery: failEvery, refused: map[int]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *restStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/Messages.json") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		r.ParseForm()
		s.posts++
		switch {
		case s.throttleEvery > 0 && s.posts%s.throttleEvery == 0:
			s.refused[429]++
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code": 20429, "message": "Too Many Requests", "status": 429}`)
			return
		case s.failEvery > 0 && s.posts%s.failEvery == 0:
			s.refused[500]++
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"code": 20500, "message": "Internal Server Error", "status": 500}`)
			return
		}
		m := twMsg{Sid: fmt.Sprintf("SM%032d", len(s.creates)+1), To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"), Created: time.Now()}
		s.creates = append(s.creates, m)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(twJSON(m))
	case http.MethodGet:
		to := r.URL.Query().Get("To")
		var list []map[string]any
		for i := len(s.creates) - 1; i >= 0; i-- { // newest first, as Twilio lists
			if m := s.creates[i]; m.To == to {
				list = append(list, twJSON(m))
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"messages": list, "next_page_uri": nil, "page": 0, "page_size": len(list)})
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// created returns every message created, by Twilio's SID.
func (s *restStandIn) created() map[string]twMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]twMsg, len(s.creates))
	for _, m := range s.creates {
		out[m.Sid] = m
	}
	return out
}

// gatewayProc is the real lifeline binary serving SMS.
type gatewayProc struct {
	*proc
	addr string
}

// startGateway runs `lifeline serve` on a free loopback port against the
// store db, with its spool in spool and Twilio's REST API at api, and
// waits until it answers /healthz.
func startGateway(t *testing.T, db, spool, api string, extra ...string) *gatewayProc {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"--db", db, "serve", "--addr", addr, "--public-url", "http://" + addr,
		"--rate-burst", "1000000000", "--send-rate", "2000", "--spool", spool}, extra...)
	cmd := exec.Command(lifelineBin(t), args...)
	cmd.Env = append(os.Environ(), "TWILIO_AUTH_TOKEN="+intakeToken, "TWILIO_ACCOUNT_SID="+intakeAccount,
		"TWILIO_FROM="+intakeFrom, "LIFELINE_TWILIO_API_URL="+api, "LIFELINE_LANG=en")
	g := &gatewayProc{proc: start(t, cmd), addr: addr}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return g
			}
		}
		select {
		case <-g.done:
			g.cmd.Wait()
			t.Fatalf("lifeline serve ended before it answered:\n%s", g.errText())
		default:
		}
		if time.Now().After(deadline) {
			g.cmd.Process.Kill()
			t.Fatalf("lifeline serve did not answer /healthz within 60 s:\n%s", g.errText())
		}
		time.Sleep(50 * time.Millisecond) // polling for the server to come up
	}
}

// stop ends the gateway with an interrupt, as an operator does, and waits.
func (g *gatewayProc) stop(t *testing.T) {
	t.Helper()
	g.cmd.Process.Signal(os.Interrupt)
	g.wait(t, 60*time.Second)
}

// metric reads one unlabelled value from the gateway's /metrics.
func (g *gatewayProc) metric(name string) (float64, bool) {
	res, err := http.Get("http://" + g.addr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	return v, err == nil
}

// surgeTexts is the most texts a surge sends.
const surgeTexts = 20_000

// waitAnswered waits until the gateway says no accepted text waits for
// its answer and its spool is empty. It fails when that count has not
// gone down for within: a backlog that drains slowly is waited for, one
// that is stuck is not.
func (g *gatewayProc) waitAnswered(t *testing.T, within time.Duration) {
	t.Helper()
	deadline, least := time.Now().Add(within), math.Inf(1)
	for {
		waiting, ok1 := g.metric("lifeline_sms_answers_waiting")
		spooled, ok2 := g.metric("lifeline_sms_spool_messages")
		if os.Getenv("FAULTS_DEBUG") != "" {
			depth, _ := g.metric("lifeline_sms_outbox_depth")
			fmt.Fprintf(os.Stderr, "%s waiting %v spooled %v outbox %v\n", time.Now().Format("15:04:05.000"), waiting, spooled, depth)
		}
		if ok1 && ok2 && waiting == 0 && spooled == 0 {
			return
		}
		if ok1 && ok2 && waiting+spooled < least {
			deadline, least = time.Now().Add(within), waiting+spooled
		}
		if time.Now().After(deadline) {
			t.Fatalf("answers still waiting, none answered for %s: %v in the store, %v in the spool\n%s", within, waiting, spooled, g.errText())
		}
		time.Sleep(100 * time.Millisecond) // polling the gateway's own count
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// text is one signed message sent, and what came back.
type text struct {
	sid, from, body string
	status          int    // 0: no answer (connection failed or timed out)
	reply           string // the inline answer, "" for an empty <Response/>
}

// texter plays Twilio's webhook: signed messages from bound phones, a
// fresh MessageSid each, with Twilio's 15 s timeout.
type texter struct {
	phones []string
	client *http.Client
	seq    atomic.Int64
	salt   string
	// most is how many texts a surge sends at the most (0: no bound).
	most  int64
	mu    sync.Mutex
	texts map[string]*text
}

func newTexter(phones []string, conns int) *texter {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 4 * time.Second}
	return &texter{phones: phones, client: &http.Client{Transport: tr, Timeout: 15 * time.Second},
		salt: fmt.Sprintf("%08x", rand.Uint32()), texts: map[string]*text{}}
}

// send posts one 查询 to the gateway at addr and records what came back.
func (x *texter) send(addr, sid, from string) *text { return x.sendBody(addr, sid, from, "查询") }

// sendBody posts one text to the gateway at addr and records what came
// back.
func (x *texter) sendBody(addr, sid, from, body string) *text {
	form := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {intakeAccount}, "From": {from},
		"To": {intakeFrom}, "Body": {body}, "NumSegments": {"1"}}
	target := "http://" + addr + "/sms"
	tx := &text{sid: sid, from: from, body: body}
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(intakeToken, target, form))
	res, err := x.client.Do(req)
	if err != nil && os.Getenv("FAULTS_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, "send:", err)
	}
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		tx.status = res.StatusCode
		var twiml struct {
			Messages []string `xml:"Message"`
		}
		if res.StatusCode == 200 {
			if err := xml.Unmarshal(b, &twiml); err != nil || len(twiml.Messages) > 1 {
				tx.status = -1 // not TwiML
			} else if len(twiml.Messages) == 1 {
				tx.reply = twiml.Messages[0]
			}
		}
	}
	x.mu.Lock()
	x.texts[sid] = tx
	x.mu.Unlock()
	return tx
}

// surge keeps conns texts in flight at addr until ctx ends.
func (x *texter) surge(ctx context.Context, addr string, conns int) {
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := x.seq.Add(1)
				if x.most > 0 && n > x.most {
					return
				}
				x.send(addr, fmt.Sprintf("SM%s%024d", x.salt, n), x.phones[int(n)%len(x.phones)])
			}
		}()
	}
	wg.Wait()
}

// retryUnanswered sends again, as Twilio's retry does, every text that got
// no 200.
func (x *texter) retryUnanswered(addr string) int {
	x.mu.Lock()
	var again []*text
	for _, tx := range x.texts {
		if tx.status != 200 {
			again = append(again, tx)
		}
	}
	x.mu.Unlock()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, tx := range again {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			x.sendBody(addr, tx.sid, tx.from, tx.body)
		}()
	}
	wg.Wait()
	return len(again)
}

// counts summarises the texts by status.
func (x *texter) counts() map[int]int {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[int]int{}
	for _, tx := range x.texts {
		out[tx.status]++
	}
	return out
}

// seedPhones stores n residents with a phone each and a status.
func seedPhones(t *testing.T, dsn string, n int) []string {
	t.Helper()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := &lifeline.ImportBatch{}
	var phones []string
	for i := range n {
		stem := fmt.Sprintf("110105%04d0101%03d", 1940+i%60, i%1000)
		c, _ := lifeline.MainlandIDCheckDigit(stem)
		doc := lifeline.Document{Type: lifeline.DocMainlandID, Number: stem + string(c)}
		phone := fmt.Sprintf("+86139%08d", i)
		phones = append(phones, phone)
		b.Residents = append(b.Residents, lifeline.Resident{Name: "王秀英", Doc: doc, Phones: []string{phone}, Address: lifeline.Address{Community: "幸福"}})
		b.Updates = append(b.Updates, lifeline.StatusUpdate{Doc: doc, Color: lifeline.Green, At: time.Now()})
	}
	if _, err := db.Import(ctx, b); err != nil {
		t.Fatal(err)
	}
	return phones
}

// inboundRow and answerRow are what the store holds of a message and of
// the answer queued for it.
type inboundRow struct {
	from  string
	state lifeline.InboundState
	reply string
}

type answerRow struct {
	state, provider, to, body string
}

// readAnswers reads every inbound message and every queued answer from
// the store at dsn (the gateway stopped).
func readAnswers(t *testing.T, dsn string) (map[string]inboundRow, map[string]answerRow) {
	t.Helper()
	driver, main, log := "sqlite", "file:"+dsn, "file:"+store.LogPath(dsn)
	inboundTable := "inbound_log"
	if store.IsPostgres(dsn) {
		driver, main, log, inboundTable = "pgx", dsn, dsn, "inbound_messages"
	}
	open := func(src string) *sql.DB {
		db, err := sql.Open(driver, src)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	in := map[string]inboundRow{}
	rows, err := open(log).Query(`SELECT sid, from_phone, state, reply FROM ` + inboundTable)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sid string
		var r inboundRow
		var st int
		if err := rows.Scan(&sid, &r.from, &st, &r.reply); err != nil {
			t.Fatal(err)
		}
		if _, dup := in[sid]; dup {
			t.Errorf("%s is in the inbound log twice", sid)
		}
		r.state = lifeline.InboundState(st)
		in[sid] = r
	}
	rows.Close()
	out := map[string]answerRow{}
	rows, err = open(main).Query(`SELECT dedupe_key, state, provider_id, to_phone, body FROM outbox WHERE kind = 'answer'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		var a answerRow
		if err := rows.Scan(&key, &a.state, &a.provider, &a.to, &a.body); err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(key, "answer:")] = a
	}
	rows.Close()
	return in, out
}

// checkEveryTextAnswered holds the store and the REST stand-in to the
// promise for every text sent: one that got a 200 has exactly one answer,
// the inline one it carried or one sent through the REST API (never
// both); no text got a 5xx; and the REST API got no message twice.
func checkEveryTextAnswered(t *testing.T, dsn string, x *texter, api *restStandIn) (inline, outbox int) {
	t.Helper()
	in, answers := readAnswers(t, dsn)
	created := api.created()
	usedREST := map[string]string{}
	x.mu.Lock()
	defer x.mu.Unlock()
	bad := 0
	fail := func(format string, args ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for sid, tx := range x.texts {
		if tx.status >= 500 {
			fail("%s: HTTP %d for a signed text", sid, tx.status)
			continue
		}
		if tx.status != 200 {
			continue // no answer reached Twilio: it would retry (see retryUnanswered)
		}
		row, ok := in[sid]
		a, queued := answers[sid]
		switch {
		case !ok:
			fail("%s got a 200 but is not in the inbound log", sid)
		case row.from != tx.from:
			fail("%s recorded from %s, sent from %s", sid, row.from, tx.from)
		case tx.reply != "":
			if row.state != lifeline.InboundInline || row.reply != tx.reply || queued {
				fail("%s was answered inline (%q), but the store holds %v %q and an answer in the outbox: %v", sid, tx.reply, row.state, row.reply, queued)
			}
			inline++
		default:
			m, sent := created[a.provider]
			if row.state != lifeline.InboundOutbox || !queued || a.state != string(lifeline.OutboxAccepted) || !sent || m.To != tx.from || m.Body != a.body {
				fail("%s got an empty response; store %v, answer %+v, sent %v", sid, row.state, a, sent)
				continue
			}
			if prev, twice := usedREST[a.provider]; twice {
				fail("%s and %s share the REST message %s", sid, prev, a.provider)
			}
			usedREST[a.provider] = sid
			outbox++
		}
	}
	// The REST API got each answer once: as many messages as answers
	// accepted, holding texts apart.
	accepted := 0
	for _, a := range answers {
		if a.state == string(lifeline.OutboxAccepted) {
			accepted++
		}
	}
	restAnswers := 0
	for _, m := range created {
		if !strings.Contains(m.Body, "busy; we will answer soon") && !strings.Contains(m.Body, "系统正忙") {
			restAnswers++
		}
	}
	if restAnswers != accepted {
		t.Errorf("Twilio's REST API took %d answers; the outbox holds %d accepted: some were sent twice", restAnswers, accepted)
	}
	if bad > 20 {
		t.Errorf("… and %d more", bad-20)
	}
	return inline, outbox
}

// TestSurgeEveryTextAnswered drives the real gateway far past what it
// answers inline (256 texts in flight for 30 s, LIFELINE_SURGE to change),
// with Twilio's REST API refusing some sends with 429 and 500: every text
// that got a 200 is answered exactly once, inline or through the REST API,
// once the outbox drains; none got a 5xx.
func TestSurgeEveryTextAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests skipped in -short mode")
	}
	surge(t, false)
}

// TestSurgeWithSlowConnections is the surge while 300 connections send
// their bodies a byte at a time and 5,000 send half their headers and
// stop, from other addresses: the genuine texts are still all answered.
func TestSurgeWithSlowConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests skipped in -short mode")
	}
	surge(t, true)
}

func surge(t *testing.T, slow bool) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "lifeline.db")
	phones := seedPhones(t, dsn, 2000)
	api, apiURL := newRESTStandIn(t, 150, 60)
	// Few inline slots: the surge overflows them on any machine, so both
	// paths are taken whatever the load generator's speed.
	g := startGateway(t, dsn, filepath.Join(dir, "spool"), apiURL, "--max-inflight", "16", "--max-queue", "0")
	x := newTexter(phones, 256)
	// The overload is the 16 inline slots', reached at once on any machine.
	// Past surgeTexts, more texts would only measure how long an outbox
	// paced by the stand-in's 429s takes to drain, which grows with the
	// machine's speed.
	x.most = surgeTexts
	d := surgeFor(t)
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var held *slowConns
	if slow {
		held = holdSlowConns(sctx, t, g.addr, 300, 5000)
	}
	x.surge(sctx, g.addr, 256)
	if held != nil {
		held.wait()
	}
	retried := x.retryUnanswered(g.addr)
	g.waitAnswered(t, 5*time.Minute)
	g.stop(t)
	inline, outbox := checkEveryTextAnswered(t, dsn, x, api)
	counts := x.counts()
	// Both paths, in the plain surge. With the slow connections held, the
	// machine's cores go to them and the genuine texts may come too slowly
	// to fill the inline slots: what counts there is that each is answered.
	if !slow && (inline == 0 || outbox == 0) {
		t.Errorf("answers inline %d, through the REST API %d: the surge did not use both paths", inline, outbox)
	}
	if counts[200] < len(x.texts)*95/100 {
		t.Errorf("only %d of %d texts got a 200: %v", counts[200], len(x.texts), counts)
	}
	api.mu.Lock()
	refused := fmt.Sprint(api.refused)
	api.mu.Unlock()
	t.Logf("%s surge: %d texts (%d sent again after no answer), statuses %v; answered inline %d, through the REST API %d (refusals %s)%s",
		d, len(x.texts), retried, counts, inline, outbox, refused, held.summary())
}

// slowConns holds connections open on purpose, from addresses of their
// own: bodies sent a byte at a time, and headers left half sent.
type slowConns struct {
	wg                sync.WaitGroup
	opened, cutShort  atomic.Int64
	slowBody, halfHdr int
}

// holdSlowConns keeps bodies slow connections sending a byte a second
// (from 127.0.0.3) and headers connections with half their headers sent
// (from 127.0.0.4 and 127.0.0.5), reopening each one the gateway closes,
// until ctx ends.
func holdSlowConns(ctx context.Context, t *testing.T, addr string, bodies, headers int) *slowConns {
	s := &slowConns{slowBody: bodies, halfHdr: headers}
	hold := func(src string, body bool) {
		defer s.wg.Done()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				time.Sleep(100 * time.Millisecond) // the kernel's queue is full: try again
				continue
			}
			s.opened.Add(1)
			if body {
				fmt.Fprintf(c, "POST /sms HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n", addr)
			} else {
				fmt.Fprintf(c, "POST /sms HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr)
			}
			for ctx.Err() == nil {
				c.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Write([]byte("a")); err != nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			s.cutShort.Add(1)
			c.Close()
		}
	}
	for range bodies {
		s.wg.Add(1)
		go hold("127.0.0.3", true)
	}
	for i := range headers {
		s.wg.Add(1)
		go hold([]string{"127.0.0.4", "127.0.0.5"}[i%2], false)
	}
	return s
}

func (s *slowConns) wait() { s.wg.Wait() }

func (s *slowConns) summary() string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("; with %d slow-body and %d half-header connections held (%d opened in all)", s.slowBody, s.halfHdr, s.opened.Load())
}

// TestKillDuringSurge kills the gateway with SIGKILL at a random moment of
// a surge, again and again (LIFELINE_SURGE_KILLS or LIFELINE_FAULT_KILLS
// times, 20 by default),
// restarting it on the same store each time, so kills land between a
// text's acceptance and its answer, between an answer's queueing and its
// sending, and between Twilio accepting a send and the gateway recording
// it. The texts that got no answer are sent again, as Twilio's retry does;
// then every text that got a 200 has exactly one answer.
func TestKillDuringSurge(t *testing.T) {
	n := kills(t)
	if s := os.Getenv("LIFELINE_SURGE_KILLS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("LIFELINE_SURGE_KILLS=%q: want a positive number", s)
		}
	}
	dir := t.TempDir()
	dsn := filepath.Join(dir, "lifeline.db")
	phones := seedPhones(t, dsn, 500)
	api, apiURL := newRESTStandIn(t, 0, 0)
	spool := filepath.Join(dir, "spool")
	x := newTexter(phones, 64)
	began := time.Now()
	for i := range n {
		// Few inline slots send many answers through the outbox, and a
		// slow sender keeps them queued, so kills find texts at every step.
		g := startGateway(t, dsn, spool, apiURL, "--send-rate", "200", "--max-inflight", "8", "--max-queue", "0")
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			x.surge(sctx, g.addr, 64)
		}()
		g.killAfter(t, randDelay(200*time.Millisecond, 1500*time.Millisecond))
		cancel()
		<-done
		t.Logf("kill %d: %v so far (%s)", i+1, x.counts(), time.Since(began).Round(time.Millisecond))
	}
	began = time.Now()
	g := startGateway(t, dsn, spool, apiURL)
	retried := x.retryUnanswered(g.addr)
	g.waitAnswered(t, 5*time.Minute)
	t.Logf("restarted, texts sent again and every answer sent in %s", time.Since(began).Round(time.Millisecond))
	if os.Getenv("FAULTS_DEBUG") != "" {
		e := g.errText()
		t.Logf("gateway's log (end): %s", e[max(0, len(e)-3000):])
	}
	g.stop(t)
	inline, outbox := checkEveryTextAnswered(t, dsn, x, api)
	if outbox == 0 {
		t.Errorf("no text was answered through the REST API: the kills never landed between acceptance and answer")
	}
	t.Logf("%d kills: %d texts, %d sent again; answered inline %d, through the REST API %d", n, len(x.texts), retried, inline, outbox)
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// lockedBuffer is a bytes.Buffer safe to write from the serving goroutine
// and read from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeAndSMSSend runs lifeline serve, texts it with lifeline sms send
// (signed with the same token), and stops it as Ctrl-C would.
func TestServeAndSMSSend(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	zhang := testID(t, "11010519491231001")
	roster := writeFile(t, dir, "r.csv", []byte(rosterText(t)))
	res := writeFile(t, dir, "res.csv", []byte("证件号码,健康码,采样时间,检测结果\n"+zhang+",黄码,2022-04-09 08:30,阴性\n"))
	if code, out, errOut := cli(t, context.Background(), db, "import", roster, res); code != 0 {
		t.Fatalf("import: %d %s%s", code, out, errOut)
	}

	t.Setenv("TWILIO_AUTH_TOKEN", "")
	if code, _, errOut := cli(t, context.Background(), db, "serve", "--addr", "127.0.0.1:0", "--public-url", "http://127.0.0.1:1"); code != 1 || !strings.Contains(errOut, "TWILIO_AUTH_TOKEN") {
		t.Fatalf("serve without a token: exit %d, %q", code, errOut)
	}

	t.Setenv("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef")
	// A stand-in for Twilio's REST API takes the notifications.
	var apiMu sync.Mutex
	var sent []url.Values
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		apiMu.Lock()
		sent = append(sent, r.PostForm)
		n := len(sent)
		apiMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued"}`, n)
	}))
	defer api.Close()
	t.Setenv("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef")
	t.Setenv("TWILIO_FROM", "+12025550100")
	t.Setenv("LIFELINE_TWILIO_API_URL", api.URL)
	t.Setenv("LIFELINE_API_TOKEN", "api-token-1")
	// Twilio signs the public URL; here the public URL is the listening
	// address itself.
	g := startServe(t, db, func(addr string) []string { return []string{"--public-url", "http://" + addr} })
	addr, stop, done, out, errOut := g.addr, g.stop, g.done, &g.out, &g.errOut
	code, reply, e := cli(t, context.Background(), db, "sms", "send", "--url", "http://"+addr+"/sms", "--from", "13812345678", "查询")
	if code != 0 || !strings.Contains(reply, "张*丰 黄码 4/9 08:30采样 阴性") {
		t.Fatalf("sms send: exit %d, %q %q", code, reply, e)
	}
	code, reply, _ = cli(t, context.Background(), db, "sms", "send", "--url", "http://"+addr+"/sms", "--from", "13900000000", "11010519491231001X")
	if code != 0 || !strings.Contains(reply, "本号码未登记") {
		t.Fatalf("unknown number: exit %d, %q", code, reply)
	}
	// The sender delivers what waits in the outbox, with the status
	// callback pointing at this gateway.
	st := openStore(t, db)
	if err := st.Enqueue(context.Background(), &lifeline.OutboxMessage{To: "+8613812345678", Body: "测试通知", DedupeKey: "t1"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		apiMu.Lock()
		n := len(sent)
		apiMu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outbox message never reached the Twilio stand-in")
		}
		<-time.After(20 * time.Millisecond) // poll the stand-in: the sender looks every second
	}
	apiMu.Lock()
	got := sent[0]
	apiMu.Unlock()
	if got.Get("To") != "+8613812345678" || got.Get("Body") != "测试通知" || got.Get("From") != "+12025550100" || got.Get("StatusCallback") != "http://"+addr+"/sms/status" {
		t.Fatalf("sent %v", got)
	}
	// The city platform pushes a red status to the gateway's results API:
	// the status changes, and a wrong bearer token changes nothing.
	push := func(token string) int {
		body := `{"result_id":"lab-1","resident":{"doc_type":"id","doc_number":"` + zhang + `"},"color":"red","color_reason":"密接"}`
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/results", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := push("wrong"); code != http.StatusUnauthorized {
		t.Fatalf("results API with a wrong token: %d, want 401", code)
	}
	if code := push("api-token-1"); code/100 != 2 {
		t.Fatalf("results API: %d, want 2xx", code)
	}
	r, err := st.ResidentByDocument(context.Background(), lifeline.Document{Type: lifeline.DocMainlandID, Number: zhang})
	if err != nil || r.Status.Color != lifeline.Red {
		t.Fatalf("after the push: %v, %+v", err, r)
	}
	// A wrong token is refused with 403, reported in one sentence.
	t.Setenv("TWILIO_AUTH_TOKEN", "ffffffffffffffffffffffffffffffff")
	code, _, e = cli(t, context.Background(), db, "--lang", "en", "sms", "send", "--url", "http://"+addr+"/sms", "--from", "13812345678", "STATUS")
	if code != 1 || !strings.Contains(e, "refused the signature") {
		t.Fatalf("wrong token: exit %d, %q", code, e)
	}
	stop()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "SMS gateway stopped") {
			t.Fatalf("serve after Ctrl-C: exit %d, %s %s", code, out.String(), errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeMaxConns: --max-conns bounds the connections the gateway holds;
// one more waits, unserved, until a held one closes.
func TestServeMaxConns(t *testing.T) {
	db := filepath.Join(t.TempDir(), "lifeline.db")
	openStore(t, db)
	addr := startServe(t, db, func(string) []string { return []string{"--insecure-no-signature", "--max-conns", "1"} }).addr
	healthy := func() bool {
		c := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	held, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // accepted, and holding the one slot
	if healthy() {
		t.Fatal("a second connection was served while --max-conns 1 was held")
	}
	held.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !healthy() {
		if time.Now().After(deadline) {
			t.Fatal("the gateway served nothing after the held connection closed")
		}
	}
}

// servedGateway is a `lifeline serve` a test runs in this process.
type servedGateway struct {
	addr        string
	stop        context.CancelFunc
	done        chan int // its exit code
	out, errOut lockedBuffer
}

// startServe runs `lifeline serve` on a free loopback port, with the flags
// extra gives for that address, until the test ends, and returns once it
// serves.
func startServe(t *testing.T, db string, extra func(addr string) []string) *servedGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &servedGateway{addr: ln.Addr().String(), done: make(chan int, 1)}
	ln.Close()
	ctx, stop := context.WithCancel(context.Background())
	g.stop = stop
	t.Cleanup(stop)
	args := append([]string{"--db", db, "--lang", "en", "serve", "--addr", g.addr}, extra(g.addr)...)
	go func() { g.done <- run(ctx, args, strings.NewReader(""), &g.out, &g.errOut) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(g.out.String(), "SMS gateway on") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s %s", g.out.String(), g.errOut.String())
		}
		select {
		case code := <-g.done:
			t.Fatalf("serve exited %d: %s", code, g.errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return g
}

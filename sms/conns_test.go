package sms_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

// TestFullConnectionsRotate fills every connection slot with keep-alive
// callers: answers then close their connections, so a caller waiting in the
// accept queue is served instead of timing out behind them.
func TestFullConnectionsRotate(t *testing.T) {
	db := openStore(t)
	srv, err := sms.NewServer(sms.Config{Store: db, Insecure: true, PublicURL: "http://sms.example.org", MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	sid := 0
	post := func(c net.Conn) *http.Response {
		t.Helper()
		sid++
		form := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", sid)}, "From": {"+8613800000009"}, "Body": {"HELP"}}.Encode()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST /sms HTTP/1.1\r\nHost: sms.example.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(form), form)
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("request %d: %v", sid, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "<Message>") {
			t.Fatalf("request %d: %d %s", sid, res.StatusCode, b)
		}
		return res
	}
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c1 := dial()
	if res := post(c1); res.Close {
		t.Fatal("one connection of two: the answer closed it")
	}
	c2 := dial()
	if res := post(c2); !res.Close {
		t.Fatal("every slot held: the answer kept its connection")
	}
	// c3 waits in the accept queue until c2's slot is free; it is served.
	post(dial())
}

// TestConnectionsPerSource: one source address holds at most its share of
// connections (the next are closed at once), and others are served
// meanwhile.
func TestConnectionsPerSource(t *testing.T) {
	db := openStore(t)
	srv, err := sms.NewServer(sms.Config{Store: db, Insecure: true, PublicURL: "http://sms.example.org", MaxConnsPerSource: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	dialFrom := func(src string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Skipf("cannot dial from %s: %v", src, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Two connections from 127.0.0.2 that send nothing hold its share.
	dialFrom("127.0.0.2")
	dialFrom("127.0.0.2")
	third := dialFrom("127.0.0.2")
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err == nil {
		t.Fatal("a third connection from one source was kept")
	}
	// Another source is served.
	c := dialFrom("127.0.0.1")
	form := url.Values{"MessageSid": {"SMsrc"}, "From": {"+8613800000009"}, "Body": {"HELP"}}.Encode()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "POST /sms HTTP/1.1\r\nHost: sms.example.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(form), form)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("another source: %v %v", res, err)
	}
	res.Body.Close()
}

// TestInsecureOnLoopbackOnly: a gateway that checks no signatures
// refuses to listen where other machines reach it.
func TestInsecureOnLoopbackOnly(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{{"127.0.0.1:8080", true}, {"[::1]:8080", true}, {"localhost:8080", true}, {"127.0.0.2:80", true},
		{"0.0.0.0:8080", false}, {":8080", false}, {"10.0.0.5:8080", false}, {"[::]:8080", false}, {"sms.example.org:80", false}} {
		if err := sms.CheckLoopback(c.addr); (err == nil) != c.ok {
			t.Errorf("CheckLoopback(%q) = %v", c.addr, err)
		}
	}
	db := openStore(t)
	srv, err := sms.NewServer(sms.Config{Store: db, Insecure: true, PublicURL: "http://sms.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	if err := srv.Serve(context.Background(), ln); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("Serve on all interfaces without signatures: %v", err)
	}
}

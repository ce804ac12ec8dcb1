package sms_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

// TestPost: Post texts a real gateway and reads its reply; a signature the
// gateway refuses, a busy gateway and an answer that is not TwiML are
// errors with their own codes.
func TestPost(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	ctx := context.Background()
	open := newGateway(t, db, func(c *sms.Config) { c.Insecure = true })
	replies, err := sms.Post(ctx, http.DefaultClient, open.ts.URL+"/sms", "", sms.Text{From: phone(1), To: "+10000000000", Body: "查询"})
	if err != nil || len(replies) != 1 || !strings.Contains(replies[0], "张*丰 绿码") {
		t.Fatalf("replies %q, %v", replies, err)
	}
	if _, err := sms.Post(ctx, http.DefaultClient, open.ts.URL+"/sms", "", sms.Text{From: "not a phone", Body: "查询"}); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("a From that is no phone: %v", err)
	}
	// The signed gateway checks the signature over its public URL, not the
	// loopback one Post signed.
	signed := newGateway(t, db, nil)
	_, err = sms.Post(ctx, http.DefaultClient, signed.ts.URL+"/sms", testToken, sms.Text{From: phone(1), Body: "查询"})
	if lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("a refused signature gave %v", err)
	}
	for _, c := range []struct {
		status int
		body   string
		code   string
	}{
		{http.StatusServiceUnavailable, "", lifeline.EUNAVAILABLE},
		{http.StatusInternalServerError, "", lifeline.EUNAVAILABLE},
		{http.StatusOK, "<html>", lifeline.EUNAVAILABLE},
	} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		}))
		_, err := sms.Post(ctx, http.DefaultClient, ts.URL, "", sms.Text{From: phone(1), Body: "查询"})
		ts.Close()
		if lifeline.ErrorCode(err) != c.code {
			t.Errorf("HTTP %d %q: %v, want %s", c.status, c.body, err, c.code)
		}
	}
}

// TestPlayCall: PlayCall plays Twilio for a call against a real, signed
// gateway: it hears what is said, presses the keys it is given, follows
// the Gather's action with Digits, and, with no key pressed, goes on to
// the menu again and the goodbye.
func TestPlayCall(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	ctx := context.Background()
	// A gateway whose public URL is where it listens, so that a call
	// signed over that URL, and over each Gather's action, is accepted.
	ts := httptest.NewUnstartedServer(nil)
	srv, err := sms.NewServer(sms.Config{Store: db, AuthToken: testToken, PublicURL: "http://" + ts.Listener.Addr().String(),
		Now: func() time.Time { return testNow }, Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer ts.Close()
	keys := []string{"2", "3", "", ""}
	var heard []string
	err = sms.PlayCall(ctx, http.DefaultClient, ts.URL+"/voice", testToken, sms.Call{From: phone(1), To: "+10000000000"},
		func() (string, error) { k := keys[0]; keys = keys[1:]; return k, nil },
		func(h sms.Heard) {
			switch h.Kind {
			case sms.HeardSay:
				heard = append(heard, h.Text)
			case sms.HeardKey:
				heard = append(heard, "key "+h.Text)
			case sms.HeardNoKey:
				heard = append(heard, "no key")
			case sms.HeardHangUp:
				heard = append(heard, "hang up")
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(heard, "|")
	for _, want := range []string{"张先生，本人。", "key 2", "您的母亲，李女士。", "key 3", "已为您的母亲，李女士申请纸质码。", "no key", "no key", "感谢来电，再见。", "hang up"} {
		i := strings.Index(all, want)
		if i < 0 {
			t.Fatalf("the call did not go %q in order:\n%s", want, strings.ReplaceAll(all, "|", "\n"))
		}
		all = all[i+len(want):]
	}
	if len(keys) != 0 {
		t.Fatalf("keys left unpressed: %q", keys)
	}
	q, err := db.PrintQueue(ctx, "")
	if err != nil || len(q) != 1 || q[0].ResidentID != f.li.ID {
		t.Fatalf("print queue %+v, %v", q, err)
	}
}

// TestPlayCallRefused: a call signed with the wrong token is an error that
// says so, as for a text.
func TestPlayCallRefused(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, nil)
	err := sms.PlayCall(context.Background(), http.DefaultClient, g.ts.URL+"/voice", testToken, sms.Call{From: phone(1)},
		func() (string, error) { return "", nil }, func(sms.Heard) {})
	if lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("a refused signature gave %v", err)
	}
}

package sms_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

package sms_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

// TestServeLocal: the local gateway answers an unsigned text, stops when
// told, and a busy address is EUNAVAILABLE.
func TestServeLocal(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	ctx := context.Background()
	addr, stop, err := sms.ServeLocal(ctx, db, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	replies, err := sms.Post(ctx, http.DefaultClient, "http://"+addr+"/sms", "", sms.Text{From: phone(1), Body: "查询"})
	if err != nil || len(replies) != 1 || !strings.Contains(replies[0], "张*丰") {
		t.Fatalf("replies %q, %v", replies, err)
	}
	if _, _, err := sms.ServeLocal(ctx, db, addr); lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("a second gateway on %s: %v", addr, err)
	}
	stop()
	if _, err := sms.Post(ctx, http.DefaultClient, "http://"+addr+"/sms", "", sms.Text{From: phone(1), Body: "查询"}); err == nil {
		t.Fatal("the gateway still answers after stop")
	}
}

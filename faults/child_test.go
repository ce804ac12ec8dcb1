package faults

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/upstream"
)

// childMain is main for the test binary run as a child: it does one job in
// a loop, printing a line after each thing it commits, until it is killed.
func childMain(role string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("FAULTS_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer db.Close()
	switch role {
	case "register":
		err = registerLoop(ctx, db)
	case "deliver":
		err = deliverLoop(ctx, db)
	case "send":
		err = sendLoop(ctx, db)
	default:
		err = fmt.Errorf("unknown child role %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, role+":", err)
		return 1
	}
	return 0
}

// registerLoop is staff registering samples on site as fast as they can:
// registration n has key reg-n, and "ok reg-n" is printed only after the
// store has accepted it.
func registerLoop(ctx context.Context, db *store.DB) error {
	rid, _ := strconv.ParseInt(os.Getenv("FAULTS_RESIDENT"), 10, 64)
	n, _ := strconv.Atoi(os.Getenv("FAULTS_START"))
	limit, _ := strconv.Atoi(os.Getenv("FAULTS_LIMIT"))
	fmt.Println("ready")
	for ; limit == 0 || n < limit; n++ {
		r := &lifeline.Registration{ResidentID: rid, Tube: fmt.Sprintf("T%08d", n), Site: "3号点",
			SampledAt: time.Now(), Staff: "wang", IdempotencyKey: regKey(n)}
		if err := db.CreateRegistration(ctx, r); err != nil {
			return err
		}
		fmt.Println("ok", r.IdempotencyKey)
	}
	return nil
}

func regKey(n int) string { return fmt.Sprintf("reg-%07d", n) }

// deliverLoop runs the upstream deliverer with short waits.
func deliverLoop(ctx context.Context, db *store.DB) error {
	d := &upstream.Deliverer{Store: db, URL: os.Getenv("FAULTS_URL"), Token: "t", Holder: "faults-child",
		LeaseTTL: 2 * time.Second, Batch: 10, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, Idle: 5 * time.Millisecond}
	fmt.Println("ready")
	return d.Run(ctx)
}

// sendLoop runs the outbox sender against a stand-in for Twilio.
func sendLoop(ctx context.Context, db *store.DB) error {
	rest, err := sms.NewTwilioClient("AC00000000000000000000000000000000", "faultstoken0123", os.Getenv("FAULTS_TWILIO"))
	if err != nil {
		return err
	}
	tw := &sms.Twilio{REST: rest, AccountSid: "AC00000000000000000000000000000000", From: "+8610690000"}
	s, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: tw, Worker: "faults-sender",
		Batch: 10, Lease: time.Second, Poll: 5 * time.Millisecond, BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond, MaxAttempts: 1000})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	s.Run(ctx)
	return nil
}

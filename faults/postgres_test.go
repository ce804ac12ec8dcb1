package faults

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/upstream"
)

// outage returns how long PostgreSQL is kept away: 30 s as the issue asks,
// or LIFELINE_FAULT_PG_OUTAGE.
func outage(t *testing.T) time.Duration {
	if s := os.Getenv("LIFELINE_FAULT_PG_OUTAGE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("LIFELINE_FAULT_PG_OUTAGE=%q: %v", s, err)
		}
		return d
	}
	return 30 * time.Second
}

type smsAnswer struct {
	sid     string
	status  int
	busy    bool
	elapsed time.Duration
	phase   string
}

// TestPostgresStoppedUnderLoad stops the gateway's PostgreSQL for 30 s while
// residents keep texting. While it is away every message gets an answer at
// once ("busy, try again" or 503), never an error page or a hang; when it
// returns the gateway recovers by itself; and every message that got a
// real answer is recorded exactly once.
func TestPostgresStoppedUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests skipped in -short mode")
	}
	down := outage(t)
	pg := pgtest.Start(t)
	db, err := store.Open(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var phones []string
	var firstResident int64
	for i := range 50 {
		stem := fmt.Sprintf("110105%04d0101%03d", 1940+i, i)
		c, _ := lifeline.MainlandIDCheckDigit(stem)
		phone := fmt.Sprintf("+86138%08d", i)
		r := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: stem + string(c)}, Phones: []string{phone}}
		if err := db.CreateResident(ctx, r); err != nil {
			t.Fatal(err)
		}
		phones = append(phones, phone)
		if firstResident == 0 {
			firstResident = r.ID
		}
	}
	gw, err := sms.NewServer(sms.Config{Store: db, Insecure: true, PublicURL: "http://gateway.test", RateBurst: 1 << 20, RateRefill: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	client := &http.Client{Timeout: 20 * time.Second}

	var (
		mu      sync.Mutex
		answers []smsAnswer
		seq     atomic.Int64
		phase   atomic.Value
	)
	phase.Store("before")
	send := func(from, body string) {
		sid := fmt.Sprintf("SM%032d", seq.Add(1))
		form := url.Values{"MessageSid": {sid}, "From": {from}, "To": {"+8610690000"}, "Body": {body}}
		begin := time.Now()
		ph := phase.Load().(string)
		resp, err := client.PostForm(srv.URL+"/sms", form)
		a := smsAnswer{sid: sid, elapsed: time.Since(begin), phase: ph}
		if err != nil {
			a.status = -1
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a.status = resp.StatusCode
			a.busy = strings.Contains(string(b), "系统繁忙") || resp.StatusCode == http.StatusServiceUnavailable
		}
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond) // ~300 messages/s in all: load, not a CPU burn
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				body := "查询"
				if i%10 == 0 {
					body = "退订"
				} else if i%10 == 5 {
					body = "订阅"
				}
				send(phones[(w*7+i)%len(phones)], body)
			}
		}()
	}
	// Staff keep registering samples on site, and the deliverer keeps
	// sending them to the platform, through the outage.
	platform := &cityPlatform{seen: map[string]int{}}
	psrv := httptest.NewServer(platform)
	defer psrv.Close()
	var regMu sync.Mutex
	var registered []string
	regFailed := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			r := &lifeline.Registration{ResidentID: firstResident, Tube: fmt.Sprintf("T%06d", i), SampledAt: time.Now(), IdempotencyKey: fmt.Sprintf("onsite-%06d", i)}
			err := db.CreateRegistration(ctx, r)
			regMu.Lock()
			if err == nil {
				registered = append(registered, r.IdempotencyKey)
			} else {
				regFailed++ // staff see "database unavailable, try again"; nothing was accepted
			}
			regMu.Unlock()
		}
	}()
	dctx, stopDeliver := context.WithCancel(ctx)
	deliverDone := make(chan struct{})
	go func() {
		defer close(deliverDone)
		d := &upstream.Deliverer{Store: db, URL: psrv.URL, Token: "t", Holder: "outage", MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Idle: 10 * time.Millisecond}
		d.Run(dctx)
	}()
	defer func() { stopDeliver(); <-deliverDone }()

	okSince := func(ph string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range answers {
			if a.phase == ph && a.status == 200 && !a.busy {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, d time.Duration, cond func() bool) {
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("%s within %s", what, d)
			}
			time.Sleep(10 * time.Millisecond) // polling a condition
		}
	}
	waitFor("gateway answered normally", 20*time.Second, func() bool { return okSince("before") >= 100 })
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	phase.Store("down")
	downAt := time.Now()
	for time.Since(downAt) < down {
		time.Sleep(50 * time.Millisecond) // the outage itself: load keeps coming
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	phase.Store("after")
	upAt := time.Now()
	regMu.Lock()
	atRestart := len(registered)
	regMu.Unlock()
	waitFor("gateway recovered by itself", 30*time.Second, func() bool { return okSince("after") >= 100 })
	recovered := time.Since(upAt)
	waitFor("on-site registrations accepted again", 30*time.Second, func() bool {
		regMu.Lock()
		defer regMu.Unlock()
		return len(registered) >= atRestart+50
	})
	close(stop)
	wg.Wait()

	// Every registration accepted before, during or after the outage reaches
	// the platform once, in order, without anyone restarting anything.
	waitFor2 := func(what string, d time.Duration, cond func() bool) {
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s within %s", what, d)
			}
			time.Sleep(10 * time.Millisecond) // polling a condition
		}
	}
	waitFor2("registrations delivered after the outage", 30*time.Second, func() bool {
		n, _, err := db.RegistrationBacklog(ctx)
		return err == nil && n == 0
	})
	stopDeliver()
	<-deliverDone
	// A commit cut off by the stop may be stored though the caller saw an
	// error; so the platform must get exactly what the store holds, in
	// order, and that must include everything that was accepted.
	regs, err := db.ResidentRegistrations(ctx, firstResident)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	inStore := map[string]bool{}
	for _, r := range regs {
		stored = append(stored, r.IdempotencyKey)
		inStore[r.IdempotencyKey] = true
	}
	for _, k := range registered {
		if !inStore[k] {
			t.Errorf("accepted registration %s is not in the store", k)
		}
	}
	platform.mu.Lock()
	if fmt.Sprint(platform.arrived) != fmt.Sprint(stored) {
		t.Errorf("platform got %d registrations, the store holds %d: not every one once in order", len(platform.arrived), len(stored))
	}
	platform.mu.Unlock()

	// What residents saw.
	counts := map[string]map[string]int{}
	for _, a := range answers {
		kind := "ok"
		switch {
		case a.status == -1:
			t.Errorf("%s (%s): no answer at all", a.sid, a.phase)
			kind = "none"
		case a.status != 200 && a.status != http.StatusServiceUnavailable:
			t.Errorf("%s (%s): status %d, want an answer or 503", a.sid, a.phase, a.status)
			kind = "error"
		case a.busy:
			kind = "busy"
		}
		if a.phase == "down" && a.elapsed > 10*time.Second {
			t.Errorf("%s: answered after %s while the database was away: a hang, not an answer", a.sid, a.elapsed)
		}
		if counts[a.phase] == nil {
			counts[a.phase] = map[string]int{}
		}
		counts[a.phase][kind]++
	}
	if counts["down"]["busy"] == 0 {
		t.Errorf("no message was answered 'busy' during the outage: %v", counts)
	}

	// Nothing accepted was lost: every message that got a real answer is
	// recorded once.
	raw, err := sql.Open("pgx", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, "SELECT sid, reply FROM inbound_messages")
	if err != nil {
		t.Fatal(err)
	}
	sids := map[string]int{}
	for rows.Next() {
		var sid, reply string
		rows.Scan(&sid, &reply)
		sids[sid]++
	}
	rows.Close()
	for _, a := range answers {
		if a.status == 200 && !a.busy && sids[a.sid] != 1 {
			t.Errorf("%s (%s) was answered but is stored %d times", a.sid, a.phase, sids[a.sid])
		}
	}
	t.Logf("PostgreSQL away %s; answers before %v, during %v, after %v; recovered %s after it returned; %d on-site registrations accepted (%d refused while it was away), all delivered once in order",
		down, counts["before"], counts["down"], counts["after"], recovered.Round(time.Millisecond), len(registered), regFailed)
}

package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-health/lifeline/sms"
)

// loadGen plays Twilio: signed inbound messages, a fresh MessageSid each,
// from many distinct bound phones in turn.
type loadGen struct {
	phones []string
	body   string
	expect string // what every answer must hold
	next   atomic.Int64
	salt   uint64 // the first half of every MessageSid of this run
	client *http.Client
}

// sid is the MessageSid of message n of this run.
func (g *loadGen) sid(n int64) string {
	return fmt.Sprintf("SM%016x%016x", g.salt, scramble(uint64(n)))
}

// scramble is one-to-one on uint64 (SplitMix64's finalizer): message n
// gets a MessageSid of its own that looks as random as Twilio's do. A
// counter would put each new sid at the end of the store's sid index, a
// cheaper write than a real surge's sids, which land all over it.
func scramble(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func newLoadGen(phones []string, body string, maxConns int) *loadGen {
	// Idle connections are dropped before the gateway's IdleTimeout (5 s)
	// closes them: the pool hands out its most recent connection first, so
	// a few at its bottom sit idle for longer than that, and a POST sent on
	// one the server is closing fails with EOF (it is not retried).
	tr := &http.Transport{MaxIdleConns: maxConns, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: 4 * time.Second}
	return &loadGen{phones: phones, body: body, expect: "绿码", salt: rand.Uint64(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// outcome of one request.
type outcome int

const (
	outOK       outcome = iota // answered inline
	outAccepted                // accepted with an empty response: answered later
	outShed
	outError
)

// do sends one signed message to target.
func (g *loadGen) do(ctx context.Context, target string) outcome {
	n := g.next.Add(1)
	sid := g.sid(n)
	form := url.Values{"MessageSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"}, "From": {g.phones[int(n)%len(g.phones)]},
		"To": {"+12025550100"}, "Body": {g.body}, "NumSegments": {"1"}}
	enc := form.Encode()
	req, err := http.NewRequestWithContext(ctx, "POST", target, strings.NewReader(enc))
	if err != nil {
		return outError
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(benchToken, target, form))
	res, err := g.client.Do(req)
	if err != nil {
		return outError
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		// Only a real status answer counts as answered inline; an empty
		// <Response/> is a text accepted and answered later.
		switch {
		case strings.Contains(string(b), g.expect):
			return outOK
		case strings.Contains(string(b), "<Response/>"):
			return outAccepted
		}
		return outError
	case http.StatusServiceUnavailable:
		return outShed
	}
	return outError
}

// result of one phase.
type result struct {
	// ok were answered inline, accepted answered later.
	ok, accepted, shed, errors, dropped, sent int
	elapsed                                   time.Duration
	lat, shedLat                              []time.Duration
	// sendLat is the latency of answered requests from the moment they
	// were sent, not scheduled: the server's part, without the generator's
	// own lag.
	sendLat []time.Duration
}

// rate is how many texts a second the server took.
func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.taken()) / r.elapsed.Seconds()
}

// taken is how many texts the server took: answered inline or accepted.
func (r *result) taken() int { return r.ok + r.accepted }
func (r *result) offered() float64 {
	return float64(r.sent) / r.elapsed.Seconds()
}
func (r *result) pct(p float64) time.Duration     { return percentile(r.lat, p) }
func (r *result) shedPct(p float64) time.Duration { return percentile(r.shedLat, p) }

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d)-1) * p / 100)
	return d[i].Round(10 * time.Microsecond)
}

func (r *result) add(o outcome, d time.Duration) {
	r.sent++
	switch o {
	case outOK:
		r.ok++
		r.lat = append(r.lat, d)
	case outAccepted:
		r.accepted++
		r.lat = append(r.lat, d)
	case outShed:
		r.shed++
		r.shedLat = append(r.shedLat, d)
	default:
		r.errors++
	}
}

// addPhase counts one more phase of a measurement made in several.
func (r *result) addPhase(o *result) {
	r.merge(o)
	r.elapsed += o.elapsed
}

func (r *result) merge(o *result) {
	r.ok += o.ok
	r.accepted += o.accepted
	r.shed += o.shed
	r.errors += o.errors
	r.dropped += o.dropped
	r.sent += o.sent
	r.lat = append(r.lat, o.lat...)
	r.sendLat = append(r.sendLat, o.sendLat...)
	r.shedLat = append(r.shedLat, o.shedLat...)
}

// closed keeps conns requests in flight for d: the most the target
// answers.
func (g *loadGen) closed(ctx context.Context, target string, conns int, d time.Duration) *result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	total := &result{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &result{}
			for ctx.Err() == nil {
				t := time.Now()
				o := g.do(ctx, target)
				if ctx.Err() != nil && o == outError {
					break // cut off by the end of the phase
				}
				r.add(o, time.Since(t))
			}
			mu.Lock()
			total.merge(r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

// open sends rate requests a second on a fixed schedule for d, whatever the
// answers, as a surge of people does; latency counts from the scheduled
// moment, so a slow server cannot hide its queueing. At most maxInFlight
// requests are outstanding; a request due when that many are waiting is
// counted as not sent.
func (g *loadGen) open(ctx context.Context, target string, rate float64, d time.Duration, maxInFlight int) *result {
	jobs := make(chan time.Time)
	var mu sync.Mutex
	total := &result{}
	var wg sync.WaitGroup
	for i := 0; i < maxInFlight; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &result{}
			for due := range jobs {
				sent := time.Now()
				o := g.do(context.Background(), target)
				r.add(o, time.Since(due))
				if o == outOK || o == outAccepted {
					r.sendLat = append(r.sendLat, time.Since(sent))
				}
			}
			mu.Lock()
			total.merge(r)
			mu.Unlock()
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	dropped := 0
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d || ctx.Err() != nil {
			break
		}
		if w := time.Until(due); w > time.Millisecond {
			time.Sleep(w)
		}
		select {
		case jobs <- due:
		default:
			dropped++
		}
	}
	close(jobs)
	wg.Wait()
	total.elapsed = time.Since(start)
	total.dropped = dropped
	return total
}

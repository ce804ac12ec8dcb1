// Package upstream connects lifeline to the city platform in both
// directions: a Deliverer sends on-site registrations up, in order, until
// each is accepted; ResultsHandler takes test results and colour changes
// pushed down by the platform or a lab. The JSON both ways is defined in
// docs/upstream.md.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// LeaseName is the lease a replica holds while it delivers registrations:
// only one replica delivers at a time, which is what keeps the order.
const LeaseName = "upstream-registrations"

// TokenEnv names the environment variable holding the bearer token sent to
// the platform.
const TokenEnv = "LIFELINE_UPSTREAM_TOKEN"

// DeliveryStore is what a Deliverer needs from the store.
type DeliveryStore interface {
	lifeline.RegistrationService
	lifeline.LeaseService
	Resident(ctx context.Context, id int64) (*lifeline.Resident, error)
	PendingTubes(ctx context.Context, limit int) ([]lifeline.Tube, error)
	MarkTubeDelivered(ctx context.Context, id int64, at time.Time) error
	MarkTubeFailed(ctx context.Context, id int64, msg string) error
}

// Deliverer sends pending registrations to the city platform in the order
// they were made, and each pooled tube, once closed, as one message with
// its members, in the order of its closing among them. It stops at the
// first message the platform does not accept, so none overtakes another,
// and tries again after a backoff that doubles up to MaxBackoff while the
// platform stays down.
type Deliverer struct {
	Store DeliveryStore
	// URL receives one POST per registration.
	URL string
	// Token is sent as "Authorization: Bearer <Token>".
	Token  string
	Client *http.Client
	// Holder names this replica in the delivery lease; it must differ
	// between replicas (host name and process id by default).
	Holder string
	// LeaseTTL is how long the lease lasts without renewal; it is renewed
	// before every request.
	LeaseTTL time.Duration
	// Batch is how many pending registrations are read at a time.
	Batch int
	// MinBackoff and MaxBackoff bound the wait after a failure; Idle is the
	// wait when nothing is pending.
	MinBackoff, MaxBackoff, Idle time.Duration
	// Logf, if set, receives one line per failure.
	Logf func(format string, args ...any)

	failures int
}

// Payload is the JSON body of one delivery (docs/upstream.md).
type Payload struct {
	IdempotencyKey string          `json:"idempotency_key"`
	RegistrationID int64           `json:"registration_id"`
	Tube           string          `json:"tube"`
	Site           string          `json:"site,omitempty"`
	SampledAt      time.Time       `json:"sampled_at"`
	Staff          string          `json:"staff,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	Resident       ResidentPayload `json:"resident"`
}

// TubePayload is the JSON body of one pooled tube's delivery
// (docs/upstream.md): the tube and every swab in it.
type TubePayload struct {
	Kind           string          `json:"kind"` // "tube"
	IdempotencyKey string          `json:"idempotency_key"`
	Tube           string          `json:"tube"`
	RoundID        int64           `json:"round_id"`
	PoolSize       int             `json:"pool_size"`
	Site           string          `json:"site,omitempty"`
	Staff          string          `json:"staff,omitempty"`
	OpenedAt       time.Time       `json:"opened_at"`
	ClosedAt       time.Time       `json:"closed_at"`
	Members        []MemberPayload `json:"members"`
}

// MemberPayload is one swab in a tube: whose, and when it was taken.
type MemberPayload struct {
	RegistrationID int64           `json:"registration_id"`
	SampledAt      time.Time       `json:"sampled_at"`
	Resident       ResidentPayload `json:"resident"`
}

// ResidentPayload identifies the person a sample belongs to.
type ResidentPayload struct {
	Name        string `json:"name"`
	DocType     string `json:"doc_type"`
	DocNumber   string `json:"doc_number,omitempty"`
	Nationality string `json:"nationality,omitempty"`
	Birth       string `json:"birth,omitempty"` // YYYY-MM-DD
	Sex         string `json:"sex,omitempty"`
	Phone       string `json:"phone,omitempty"` // E.164, the first on file
	Address     string `json:"address,omitempty"`
}

func (d *Deliverer) defaults() {
	if d.Client == nil {
		d.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if d.Holder == "" {
		host, _ := os.Hostname()
		d.Holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	if d.LeaseTTL <= 0 {
		d.LeaseTTL = 30 * time.Second
	}
	if d.Batch <= 0 {
		d.Batch = 100
	}
	if d.MinBackoff <= 0 {
		d.MinBackoff = time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = 2 * time.Minute
	}
	if d.Idle <= 0 {
		d.Idle = 2 * time.Second
	}
}

// Run delivers until ctx ends, waiting Idle between passes when nothing is
// pending or another replica holds the lease, and backing off after
// failures. It returns nil when ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	defer d.Store.ReleaseLease(context.WithoutCancel(ctx), LeaseName, d.Holder)
	for {
		_, err := d.DeliverPending(ctx)
		wait := d.Idle
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait = d.backoff()
			d.logf("upstream: %v; retrying in %s", err, wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// backoff returns the wait after the latest failure: MinBackoff doubled per
// consecutive failure up to MaxBackoff, less up to a fifth at random so that
// replicas and offices do not all come back at the same instant.
func (d *Deliverer) backoff() time.Duration {
	w := d.MinBackoff
	for i := 1; i < d.failures && w < d.MaxBackoff; i++ {
		w *= 2
	}
	w = min(w, d.MaxBackoff)
	return w - time.Duration(rand.Int64N(int64(w)/5+1))
}

// ErrNotLeader is returned by DeliverPending when the delivery lease passed
// to another replica in the middle of a pass (this one stalled for longer
// than the lease): it stops at once and leaves the rest to that replica.
var ErrNotLeader = errors.New("another replica is delivering")

// DeliverPending makes one pass: it takes the delivery lease and sends
// pending messages in order until none is left or one fails. It returns
// how many were accepted and the first failure. A pass while another
// replica holds the lease sends nothing and returns nil.
func (d *Deliverer) DeliverPending(ctx context.Context) (int, error) {
	d.defaults()
	sent := 0
	for {
		ok, err := d.Store.ClaimLease(ctx, LeaseName, d.Holder, d.LeaseTTL)
		if err != nil {
			d.failures++
			return sent, err
		}
		if !ok {
			return sent, nil
		}
		regs, err := d.Store.PendingRegistrations(ctx, d.Batch)
		if err != nil {
			d.failures++
			return sent, err
		}
		tubes, err := d.Store.PendingTubes(ctx, d.Batch)
		if err != nil {
			d.failures++
			return sent, err
		}
		line := inOrder(regs, tubes, d.Batch)
		if len(line) == 0 {
			return sent, nil
		}
		for _, m := range line {
			// Renew before each request: a pass over a long backlog must not
			// outlive the lease and let a second replica start beside it.
			if sent > 0 {
				if ok, err := d.Store.ClaimLease(ctx, LeaseName, d.Holder, d.LeaseTTL); err != nil || !ok {
					if err == nil {
						err = ErrNotLeader
					}
					d.failures++
					return sent, err
				}
			}
			if err := d.deliverOne(ctx, m); err != nil {
				d.failures++
				return sent, err
			}
			d.failures = 0
			sent++
		}
		if len(regs) < d.Batch && len(tubes) < d.Batch {
			return sent, nil
		}
	}
}

// message is one delivery: a registration alone, or a closed tube.
type message struct {
	reg  *lifeline.Registration
	tube *lifeline.Tube
}

func (m message) at() time.Time {
	if m.tube != nil {
		return m.tube.ClosedAt
	}
	return m.reg.CreatedAt
}

// inOrder merges pending registrations and tubes (each in its own order)
// into the order they were made or closed. A list that came back full
// may have more after its last: nothing later than that is sent in this
// round, so nothing overtakes what is not read yet.
func inOrder(regs []lifeline.Registration, tubes []lifeline.Tube, batch int) []message {
	var cutoff time.Time
	if len(regs) == batch {
		cutoff = regs[len(regs)-1].CreatedAt
	}
	if len(tubes) == batch && (cutoff.IsZero() || tubes[len(tubes)-1].ClosedAt.Before(cutoff)) {
		cutoff = tubes[len(tubes)-1].ClosedAt
	}
	var out []message
	i, j := 0, 0
	for i < len(regs) || j < len(tubes) {
		var m message
		if j == len(tubes) || (i < len(regs) && !regs[i].CreatedAt.After(tubes[j].ClosedAt)) {
			m = message{reg: &regs[i]}
			i++
		} else {
			m = message{tube: &tubes[j]}
			j++
		}
		if !cutoff.IsZero() && m.at().After(cutoff) {
			break
		}
		out = append(out, m)
	}
	return out
}

// deliverOne sends one message and records the outcome.
func (d *Deliverer) deliverOne(ctx context.Context, m message) error {
	if m.tube != nil {
		t := m.tube
		if err := d.deliverTube(ctx, t); err != nil {
			if ctx.Err() == nil {
				if merr := d.Store.MarkTubeFailed(ctx, t.ID, err.Error()); merr != nil {
					d.logf("upstream: recording failure of tube %s: %v", t.Code, merr)
				}
			}
			return fmt.Errorf("tube %s: %w", t.Code, err)
		}
		if err := d.Store.MarkTubeDelivered(ctx, t.ID, time.Now()); err != nil {
			return fmt.Errorf("tube %s delivered but not marked: %w", t.Code, err)
		}
		return nil
	}
	r := m.reg
	if err := d.deliver(ctx, r); err != nil {
		if ctx.Err() == nil {
			if merr := d.Store.MarkRegistrationFailed(ctx, r.ID, err.Error()); merr != nil {
				d.logf("upstream: recording failure of registration %d: %v", r.ID, merr)
			}
		}
		return fmt.Errorf("registration %d: %w", r.ID, err)
	}
	if err := d.Store.MarkRegistrationDelivered(ctx, r.ID, time.Now()); err != nil {
		// The platform has it; the retry that follows is answered
		// "already have it" thanks to the idempotency key.
		return fmt.Errorf("registration %d delivered but not marked: %w", r.ID, err)
	}
	return nil
}

// StatusError is an answer from the platform that is not an acceptance.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("platform answered %d", e.Status)
	}
	return fmt.Sprintf("platform answered %d: %s", e.Status, e.Body)
}

// deliver POSTs one registration.
func (d *Deliverer) deliver(ctx context.Context, r *lifeline.Registration) error {
	p, err := d.payload(ctx, r)
	if err != nil {
		return err
	}
	return d.post(ctx, r.IdempotencyKey, p)
}

// deliverTube POSTs one tube with its members.
func (d *Deliverer) deliverTube(ctx context.Context, t *lifeline.Tube) error {
	p := &TubePayload{Kind: "tube", IdempotencyKey: t.IdempotencyKey, Tube: t.Code, RoundID: t.RoundID, PoolSize: t.Size,
		Site: t.Site, Staff: t.Staff, OpenedAt: t.OpenedAt, ClosedAt: t.ClosedAt}
	for _, m := range t.Members {
		res, err := d.Store.Resident(ctx, m.ResidentID)
		if err != nil {
			return fmt.Errorf("resident %d: %w", m.ResidentID, err)
		}
		p.Members = append(p.Members, MemberPayload{RegistrationID: m.RegistrationID, SampledAt: m.SampledAt, Resident: residentPayload(res)})
	}
	return d.post(ctx, t.IdempotencyKey, p)
}

// post sends one message. 2xx is accepted; 409 means the platform already
// has this idempotency key, which is also accepted.
func (d *Deliverer) post(ctx context.Context, key string, p any) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if d.Token != "" {
		req.Header.Set("Authorization", "Bearer "+d.Token)
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusConflict {
		return nil
	}
	return &StatusError{Status: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
}

func (d *Deliverer) payload(ctx context.Context, r *lifeline.Registration) (*Payload, error) {
	res, err := d.Store.Resident(ctx, r.ResidentID)
	if err != nil {
		return nil, fmt.Errorf("resident %d: %w", r.ResidentID, err)
	}
	return &Payload{
		IdempotencyKey: r.IdempotencyKey,
		RegistrationID: r.ID,
		Tube:           r.Tube,
		Site:           r.Site,
		SampledAt:      r.SampledAt,
		Staff:          r.Staff,
		CreatedAt:      r.CreatedAt,
		Resident:       residentPayload(res),
	}, nil
}

// residentPayload is who a sample is of, as the platform reads it.
func residentPayload(res *lifeline.Resident) ResidentPayload {
	p := ResidentPayload{
		Name:        res.Name,
		DocType:     string(res.Doc.Type),
		DocNumber:   res.Doc.Number,
		Nationality: res.Doc.Nationality,
		Sex:         string(res.Sex),
	}
	if !res.Birth.IsZero() {
		p.Birth = res.Birth.Format(time.DateOnly)
	}
	if len(res.Phones) > 0 {
		p.Phone = res.Phones[0]
	}
	if res.Address.Building != "" {
		p.Address = res.Address.Community + " " + res.Address.Short()
	}
	return p
}

func (d *Deliverer) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf(format, args...)
	}
}

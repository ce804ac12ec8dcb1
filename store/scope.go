package store

import (
	"context"
	"database/sql"
	"errors"

	lifeline "github.com/lifeline-health/lifeline"
)

// What the actor in the context may see and change is decided here, so
// that every face of lifeline (the staff screen at a desk or over SSH, the
// commands) gets the same answer from the store instead of each deciding
// for itself.
//
// A staff member's actor carries their community (lifeline.Actor): they
// read, and act on, only the residents whose household is in it. Admins
// and the system's own actors (the command line, an import, the SMS
// gateway, the city platform) carry none and reach everyone, as the
// existing rule has it (lifeline.RoleAdmin sees all).
//
// A resident outside the community is not found (ENOTFOUND), exactly as a
// resident who does not exist, and lists leave them out: a worker learns
// nothing of other communities, not even whether an id or a document
// exists there, and ids cannot be tried one by one to map them. The
// search box already behaved so.
//
// Not limited: IssuedCode (a checkpoint verifies any card it is shown,
// and must see that one from elsewhere was revoked), the registration
// backlog's count, and what only the command line and the system reach
// (imports, status updates, notices, key cut-offs, the audit log).

// communityOf returns the community the actor in ctx is limited to, ""
// when it may see everyone.
func communityOf(ctx context.Context) string {
	return lifeline.ActorFrom(ctx).Community
}

// scopeCommunity narrows a community asked for ("" means all) to the
// actor's: it returns the community to read, and false when the actor may
// see nothing of the one asked for.
func scopeCommunity(ctx context.Context, asked string) (string, bool) {
	c := communityOf(ctx)
	switch {
	case c == "":
		return asked, true
	case asked == "" || asked == c:
		return c, true
	}
	return "", false
}

// scopeFilter is scopeCommunity for a resident filter.
func scopeFilter(ctx context.Context, f lifeline.ResidentFilter) (lifeline.ResidentFilter, bool) {
	var ok bool
	f.Community, ok = scopeCommunity(ctx, f.Community)
	return f, ok
}

// inScope returns a condition, to follow a WHERE, that keeps only rows
// whose resident (the column col) the actor in ctx may see, and its
// argument: nothing for an actor who sees everyone, so their statements
// are what they always were. It looks each row's resident up by id.
func inScope(ctx context.Context, col string) (string, []any) {
	c := communityOf(ctx)
	if c == "" {
		return "", nil
	}
	return ` AND EXISTS (SELECT 1 FROM residents sr JOIN households sh ON sh.id = sr.household_id WHERE sr.id = ` + col + ` AND sh.community = ?)`, []any{c}
}

// householdInScope is inScope for a query that joins households as h.
func householdInScope(ctx context.Context) (string, []any) {
	c := communityOf(ctx)
	if c == "" {
		return "", nil
	}
	return ` AND h.community = ?`, []any{c}
}

// checkResident returns nil if resident id exists and the actor in ctx
// may see them, and ENOTFOUND otherwise: the check before a change to a
// resident.
func (db *DB) checkResident(ctx context.Context, q queryer, id int64) error {
	cond, args := inScope(ctx, "r.id")
	var one int
	err := q.QueryRowContext(ctx, db.SQL(`SELECT 1 FROM residents r WHERE r.id = ?`+cond), append([]any{id}, args...)...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errResidentNotFound()
	}
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}

// visible keeps the residents the actor in ctx may see (their Address
// must be read).
func visible(ctx context.Context, rs []*lifeline.Resident) []*lifeline.Resident {
	c := communityOf(ctx)
	if c == "" {
		return rs
	}
	out := rs[:0:0]
	for _, r := range rs {
		if r.Address.Community == c {
			out = append(out, r)
		}
	}
	return out
}

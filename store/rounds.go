package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// A round's residents are written to round_members when it opens, each
// with their building and door key, so that its progress is a count over
// one index and a building's missing list one index range in door order,
// whatever the size of the community (see migration 0009).

const roundCols = `id, community, buildings, pool, starts_at, due_at, created_by, created_at, residents`

func scanRound(s scanner) (lifeline.Round, error) {
	var r lifeline.Round
	var buildings string
	var starts, due, created int64
	err := s.Scan(&r.ID, &r.Community, &buildings, &r.Pool, &starts, &due, &r.CreatedBy, &created, &r.Residents)
	if buildings != "" {
		r.Buildings = strings.Split(buildings, "\x1f")
	}
	r.StartsAt, r.DueAt, r.CreatedAt = fromMS(starts), fromMS(due), fromMS(created)
	return r, err
}

func errRoundNotFound() error {
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该轮检测", "no such testing round"))
}

// CreateRound opens a round with every resident living where it covers
// now, in one transaction with its audit entry. A staff member opens
// rounds of their own community only; a round that would hold nobody (a
// misspelt community or building) is refused.
func (db *DB) CreateRound(ctx context.Context, r *lifeline.Round) error {
	now := db.Now()
	if r.StartsAt.IsZero() {
		r.StartsAt = now
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if _, ok := scopeCommunity(ctx, r.Community); !ok {
		return lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T("只能为本社区开启检测轮次", "you can open rounds for your own community only"))
	}
	r.CreatedBy, r.CreatedAt = lifeline.ActorFrom(ctx).User, fromMS(ms(now))
	return db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.SQL(`INSERT INTO rounds (community, buildings, pool, starts_at, due_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.Community, strings.Join(r.Buildings, "\x1f"), r.Pool, ms(r.StartsAt), ms(r.DueAt), r.CreatedBy, ms(now)).Scan(&r.ID)
		if err != nil {
			return db.unavailable(err)
		}
		n, err := db.addRoundMembers(ctx, tx, r)
		if err != nil {
			return err
		}
		if n == 0 {
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T("“"+r.Where(lifeline.Zh)+"”没有登记的居民，请检查社区和楼栋名称", "nobody lives in "+r.Where(lifeline.En)+" on the roster; check the community and building names"))
		}
		r.Residents = n
		if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE rounds SET residents = ? WHERE id = ?`), n, r.ID); err != nil {
			return db.unavailable(err)
		}
		detail := fmt.Sprintf("round %d: %s, %d residents, pool %d, due %s", r.ID, r.Where(lifeline.En), n, r.Pool, r.DueAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"))
		return db.auditTx(ctx, tx, ms(now), r.CreatedBy, "round", 0, detail)
	})
}

// addRoundMembers writes a round's residents, a few hundred to a
// statement, and says how many. They are all read first: a statement may
// not write while a read on the same connection is still open.
func (db *DB) addRoundMembers(ctx context.Context, tx *sql.Tx, r *lifeline.Round) (int, error) {
	q := `SELECT r.id, h.building, h.unit, h.room FROM households h JOIN residents r ON r.household_id = h.id WHERE h.community = ?`
	args := []any{r.Community}
	if len(r.Buildings) > 0 {
		q += ` AND h.building IN (` + placeholders(len(r.Buildings)) + `)`
		for _, b := range r.Buildings {
			args = append(args, b)
		}
	}
	members, err := queryRows(ctx, db, tx, func(s scanner) ([4]any, error) {
		var id int64
		var a lifeline.Address
		err := s.Scan(&id, &a.Building, &a.Unit, &a.Room)
		return [4]any{r.ID, id, a.Building, lifeline.DoorKey(a)}, err
	}, q, args...)
	if err != nil {
		return 0, err
	}
	const perStatement = 500
	for from := 0; from < len(members); from += perStatement {
		chunk := members[from:min(from+perStatement, len(members))]
		vals := make([]any, 0, 4*len(chunk))
		for _, m := range chunk {
			vals = append(vals, m[:]...)
		}
		if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO round_members (round_id, resident_id, building, door) VALUES `+tuples(len(chunk), 4)), vals...); err != nil {
			return 0, db.unavailable(err)
		}
	}
	return len(members), nil
}

// Rounds returns a community's rounds, newest first: the actor's own
// community's whatever is asked, and every community's for an admin
// asking for "".
func (db *DB) Rounds(ctx context.Context, community string) ([]lifeline.Round, error) {
	c, ok := scopeCommunity(ctx, community)
	if !ok {
		return nil, nil
	}
	if c == "" {
		return queryRows(ctx, db, db.r, scanRound, `SELECT `+roundCols+` FROM rounds ORDER BY id DESC`)
	}
	return queryRows(ctx, db, db.r, scanRound, `SELECT `+roundCols+` FROM rounds WHERE community = ? ORDER BY id DESC`, c)
}

// Round returns one round; a round of another community than the actor's
// is not found.
func (db *DB) Round(ctx context.Context, id int64) (*lifeline.Round, error) {
	return db.roundOn(ctx, db.r, id)
}

func (db *DB) roundOn(ctx context.Context, q queryer, id int64) (*lifeline.Round, error) {
	r, err := scanRound(q.QueryRowContext(ctx, db.SQL(`SELECT `+roundCols+` FROM rounds WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRoundNotFound()
	}
	if err != nil {
		return nil, db.unavailable(err)
	}
	if _, ok := scopeCommunity(ctx, r.Community); !ok {
		return nil, errRoundNotFound()
	}
	return &r, nil
}

// RoundProgress counts a round's residents per building (done, pooled
// positive, missing), buildings in door order: one pass over the index
// round_members_progress.
func (db *DB) RoundProgress(ctx context.Context, roundID int64) ([]lifeline.BuildingProgress, error) {
	if _, err := db.Round(ctx, roundID); err != nil {
		return nil, err
	}
	byBuilding := map[string]*lifeline.BuildingProgress{}
	var out []*lifeline.BuildingProgress
	err := eachRow(ctx, db, db.r, scanProgressRow, func(row progressRow) error {
		p := byBuilding[row.building]
		if p == nil {
			p = &lifeline.BuildingProgress{Building: row.building}
			byBuilding[row.building] = p
			out = append(out, p)
		}
		p.Add(row.member.Progress(), row.n)
		return nil
	}, `SELECT building, state, retest, count(*) FROM round_members WHERE round_id = ? GROUP BY building, state, retest`, roundID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *lifeline.BuildingProgress) int {
		return strings.Compare(lifeline.DoorKey(lifeline.Address{Building: a.Building}), lifeline.DoorKey(lifeline.Address{Building: b.Building}))
	})
	progress := make([]lifeline.BuildingProgress, len(out))
	for i, p := range out {
		progress[i] = *p
	}
	return progress, nil
}

// progressRow is how many members of a building stand where member does.
type progressRow struct {
	building string
	member   lifeline.RoundMember
	n        int
}

func scanProgressRow(s scanner) (progressRow, error) {
	var row progressRow
	var state string
	var retest int
	err := s.Scan(&row.building, &state, &retest, &row.n)
	row.member = lifeline.RoundMember{State: lifeline.SampleState(state), Retest: retest != 0}
	return row, err
}

// withRetest scans a resident (residentCols) followed by round_members'
// retest.
type withRetest struct {
	s      scanner
	retest *int
}

func (w withRetest) Scan(dest ...any) error { return w.s.Scan(append(dest, w.retest)...) }

// MissingList returns who is still to be sampled in a round (not sampled
// yet, or to be retested alone), door to door, with their visits. The
// listing is written to the audit log, and with f.Reveal every resident on
// it as revealed, in one transaction of the log before anything is
// returned.
func (db *DB) MissingList(ctx context.Context, f lifeline.MissingFilter) ([]lifeline.MissingEntry, error) {
	round, err := db.Round(ctx, f.RoundID)
	if err != nil {
		return nil, err
	}
	where, args := `m.round_id = ? AND m.state = 'missing'`, []any{f.RoundID}
	order := ` ORDER BY m.door, r.name, r.id`
	if f.Building != "" {
		where, args = `m.round_id = ? AND m.building = ? AND m.state = 'missing'`, []any{f.RoundID, f.Building}
	}
	var out []lifeline.MissingEntry
	at := map[int64]int{}
	err = eachRow(ctx, db, db.r, func(s scanner) (lifeline.MissingEntry, error) {
		var retest int
		r, err := scanResident(withRetest{s, &retest})
		return lifeline.MissingEntry{Resident: r, Retest: retest != 0}, err
	}, func(e lifeline.MissingEntry) error {
		at[e.Resident.ID] = len(out)
		out = append(out, e)
		return nil
	}, `SELECT `+db.residentCols()+`, m.retest FROM round_members m JOIN residents r ON r.id = m.resident_id
		LEFT JOIN households h ON h.id = r.household_id LEFT JOIN test_results t ON t.id = r.latest_test_id
		WHERE `+where+order, args...)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, db, db.r, scanVisit, func(v lifeline.Visit) error {
		if i, ok := at[v.ResidentID]; ok {
			out[i].Visits = append(out[i].Visits, v)
		}
		return nil
	}, `SELECT v.id, v.round_id, v.resident_id, v.mark, v.at, v.note, v.staff FROM visits v
		JOIN round_members m ON m.round_id = v.round_id AND m.resident_id = v.resident_id WHERE `+where+` ORDER BY v.at, v.id`, args...)
	if err != nil {
		return nil, err
	}
	if err := db.auditMissingList(ctx, round, f, out); err != nil {
		return nil, err
	}
	return out, nil
}

// auditMissingList writes who listed the missing of a round, and with
// Reveal, each resident on the list as revealed.
func (db *DB) auditMissingList(ctx context.Context, round *lifeline.Round, f lifeline.MissingFilter, list []lifeline.MissingEntry) error {
	actor, now := lifeline.ActorFrom(ctx).User, ms(db.Now())
	where := round.Where(lifeline.En)
	if f.Building != "" {
		where = round.Community + " building " + f.Building
	}
	return db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		detail := fmt.Sprintf("round %d missing list: %s, %d residents", round.ID, where, len(list))
		if err := db.auditTx(ctx, tx, now, actor, "missing_list", 0, detail); err != nil {
			return err
		}
		if !f.Reveal {
			return nil
		}
		for _, e := range list {
			if err := db.auditTx(ctx, tx, now, actor, "reveal", e.Resident.ID, fmt.Sprintf("round %d missing list", round.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanVisit(s scanner) (lifeline.Visit, error) {
	var v lifeline.Visit
	var mark string
	var at int64
	err := s.Scan(&v.ID, &v.RoundID, &v.ResidentID, &mark, &at, &v.Note, &v.Staff)
	v.Mark, v.At = lifeline.VisitMark(mark), fromMS(at)
	return v, err
}

// MarkVisit stores a door-to-door visit to a resident of a round, with
// its audit entry; a resident the round does not list is not found.
func (db *DB) MarkVisit(ctx context.Context, v *lifeline.Visit) error {
	now := db.Now()
	if v.At.IsZero() {
		v.At = now
	}
	if err := v.Validate(now); err != nil {
		return err
	}
	if _, err := db.Round(ctx, v.RoundID); err != nil {
		return err
	}
	if v.Staff == "" {
		v.Staff = lifeline.ActorFrom(ctx).User
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.SQL(`SELECT 1 FROM round_members WHERE round_id = ? AND resident_id = ?`), v.RoundID, v.ResidentID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("此人不在本轮检测名单中", "this resident is not on the round's list"))
		}
		if err != nil {
			return db.unavailable(err)
		}
		err = tx.QueryRowContext(ctx, db.SQL(`INSERT INTO visits (round_id, resident_id, mark, at, note, staff, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			v.RoundID, v.ResidentID, string(v.Mark), ms(v.At), v.Note, v.Staff, ms(now)).Scan(&v.ID)
		if err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, ms(now), v.Staff, "visit", v.ResidentID, fmt.Sprintf("round %d: %s", v.RoundID, v.Mark))
	})
}

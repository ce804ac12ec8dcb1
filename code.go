package lifeline

import (
	"context"
	"time"
)

// IssuedCode records one paper offline code that was issued: which serial,
// to whom, by whom, when, signed by which key, and whether it was revoked.
type IssuedCode struct {
	Serial       []byte // the 16-byte CWT cti
	ResidentID   int64
	KeyID        string // hex of the 8-byte kid
	IssuedBy     string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	RevokedAt    time.Time // zero if not revoked
	RevokeReason string
}

// Revoked reports whether the code was revoked.
func (c *IssuedCode) Revoked() bool { return !c.RevokedAt.IsZero() }

// CodeService records issued codes and revocations.
type CodeService interface {
	// RecordIssued stores issued codes in one transaction.
	RecordIssued(ctx context.Context, codes []IssuedCode) error
	IssuedCode(ctx context.Context, serial []byte) (*IssuedCode, error)
	IssuedCodes(ctx context.Context, residentID int64) ([]IssuedCode, error)
	// RevokeSerial revokes one code (a lost card).
	RevokeSerial(ctx context.Context, serial []byte, reason, by string) error
	// RevokeResident revokes every code of a resident and returns how many.
	RevokeResident(ctx context.Context, residentID int64, reason, by string) (int, error)
	// RevokeKeyBefore revokes every code a key signed before a cut-off.
	RevokeKeyBefore(ctx context.Context, kid string, before time.Time, reason, by string) (int, error)
	// EachRevoked calls fn for every revoked serial.
	EachRevoked(ctx context.Context, fn func(serial []byte) error) error
	// KeyCutoffs returns, per key id, the time before which its codes are revoked.
	KeyCutoffs(ctx context.Context) (map[string]time.Time, error)
}

// ReissueReason is the revocation reason of a card replaced by a new one.
const ReissueReason = "reissued"

// CodeRevoker is the part of CodeService that RevokeEarlierCodes uses.
type CodeRevoker interface {
	IssuedCodes(ctx context.Context, residentID int64) ([]IssuedCode, error)
	RevokeSerial(ctx context.Context, serial []byte, reason, by string) error
}

// RevokeEarlierCodes revokes a resident's unrevoked codes other than those
// in keep (serials as strings): a new card replaces the old ones, as in
// DIVOC, so a lost or superseded card stops counting as soon as its
// successor is issued. It returns how many it revoked.
func RevokeEarlierCodes(ctx context.Context, codes CodeRevoker, residentID int64, keep map[string]bool, by string) (int, error) {
	old, err := codes.IssuedCodes(ctx, residentID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range old {
		if o.Revoked() || keep[string(o.Serial)] {
			continue
		}
		if err := codes.RevokeSerial(ctx, o.Serial, ReissueReason, by); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RevocationGrace is how long an entry stays on the revocation list after
// the code it revokes has expired: a checkpoint whose clock is behind by up
// to a day still refuses the card, and the list still shrinks.
const RevocationGrace = 24 * time.Hour

// RevocationVersion is one published version of the revocation list. It
// holds every code revoked by change Seq (changes are numbered in the order
// they commit) whose expiry is not before Horizon; it is fixed once
// published, so a full list and a delta of the same version agree.
type RevocationVersion struct {
	Version int64
	Seq     int64
	Horizon time.Time
	CutAt   time.Time
}

// ListService numbers the signed lists checkpoints receive.
type ListService interface {
	// PublishRevocations returns the version of the revocation list to
	// export at now: the latest, if no revocation was made and none of its
	// codes left it since; otherwise a new one.
	PublishRevocations(ctx context.Context, now time.Time) (RevocationVersion, error)
	// RevocationVersion returns a published version; ENOTFOUND if there is
	// none of that number.
	RevocationVersion(ctx context.Context, version int64) (RevocationVersion, error)
	// EachRevokedIn calls fn for every serial in a version of the list.
	EachRevokedIn(ctx context.Context, v RevocationVersion, fn func(serial []byte) error) error
	// NextTrustListVersion returns the number of the next trust list.
	NextTrustListVersion(ctx context.Context) (int64, error)
}

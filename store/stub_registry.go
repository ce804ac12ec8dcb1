package store

// Stubs until the real methods land; the file is deleted once they do.

import (
	"context"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

var _ = time.Time{}

func (db *DB) FindResidents(ctx context.Context, f lifeline.ResidentFilter) ([]lifeline.ResidentMatch, error) {
	return nil, errNotBuilt
}
func (db *DB) EachResident(ctx context.Context, f lifeline.ResidentFilter, fn func(*lifeline.Resident) error) error {
	return errNotBuilt
}
func (db *DB) Resident(ctx context.Context, id int64) (*lifeline.Resident, error) {
	return nil, errNotBuilt
}
func (db *DB) ResidentByDocument(ctx context.Context, d lifeline.Document) (*lifeline.Resident, error) {
	return nil, errNotBuilt
}
func (db *DB) ResidentsByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error) {
	return nil, errNotBuilt
}
func (db *DB) HouseholdMembers(ctx context.Context, householdID int64) ([]*lifeline.Resident, error) {
	return nil, errNotBuilt
}
func (db *DB) CreateResident(ctx context.Context, r *lifeline.Resident) error { return errNotBuilt }
func (db *DB) ChangeDocument(ctx context.Context, residentID int64, d lifeline.Document) error {
	return errNotBuilt
}
func (db *DB) Import(ctx context.Context, b *lifeline.ImportBatch) (lifeline.ImportStats, error) {
	return lifeline.ImportStats{}, errNotBuilt
}
func (db *DB) RecordResult(ctx context.Context, u lifeline.StatusUpdate) (changed bool, err error) {
	return false, errNotBuilt
}
func (db *DB) TestResults(ctx context.Context, residentID int64, limit int) ([]lifeline.TestResult, error) {
	return nil, errNotBuilt
}
func (db *DB) CountResidents(ctx context.Context) (int, error)              { return 0, errNotBuilt }
func (db *DB) LinkRelative(ctx context.Context, r *lifeline.Relative) error { return errNotBuilt }
func (db *DB) ReviewRelative(ctx context.Context, id int64, approve bool, reason, by string) error {
	return errNotBuilt
}
func (db *DB) Relatives(ctx context.Context, residentID int64) ([]lifeline.Relative, error) {
	return nil, errNotBuilt
}
func (db *DB) PendingRelatives(ctx context.Context, community string) ([]lifeline.Relative, error) {
	return nil, errNotBuilt
}
func (db *DB) CaredForByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error) {
	return nil, errNotBuilt
}
func (db *DB) CreateStaff(ctx context.Context, s *lifeline.Staff) error { return errNotBuilt }
func (db *DB) StaffByUser(ctx context.Context, user string) (*lifeline.Staff, error) {
	return nil, errNotBuilt
}
func (db *DB) RecordLogin(ctx context.Context, user string, failures int, lockedUntil time.Time) error {
	return errNotBuilt
}
func (db *DB) Audit(ctx context.Context, e lifeline.AuditEntry) error { return errNotBuilt }
func (db *DB) AuditLog(ctx context.Context, residentID int64, limit int) ([]lifeline.AuditEntry, error) {
	return nil, errNotBuilt
}
func (db *DB) CreateRegistration(ctx context.Context, r *lifeline.Registration) error {
	return errNotBuilt
}
func (db *DB) PendingRegistrations(ctx context.Context, limit int) ([]lifeline.Registration, error) {
	return nil, errNotBuilt
}
func (db *DB) MarkRegistrationDelivered(ctx context.Context, id int64, at time.Time) error {
	return errNotBuilt
}
func (db *DB) MarkRegistrationFailed(ctx context.Context, id int64, msg string) error {
	return errNotBuilt
}
func (db *DB) RegistrationBacklog(ctx context.Context) (n int, oldest time.Time, err error) {
	return 0, time.Time{}, errNotBuilt
}
func (db *DB) ResidentRegistrations(ctx context.Context, residentID int64) ([]lifeline.Registration, error) {
	return nil, errNotBuilt
}
func (db *DB) RequestPrint(ctx context.Context, p *lifeline.PrintRequest) error { return errNotBuilt }
func (db *DB) PrintQueue(ctx context.Context, community string) ([]lifeline.PrintRequest, error) {
	return nil, errNotBuilt
}
func (db *DB) MarkPrinted(ctx context.Context, id int64, by string) error { return errNotBuilt }

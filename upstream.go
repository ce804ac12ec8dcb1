package lifeline

import (
	"context"
	"time"
)

// LeaseService hands out named, time-limited leases, so that of several
// replicas on one database only one does a job that must not run twice at
// once, such as delivering registrations upstream in order. A holder that
// dies simply stops renewing and another takes over when the lease runs out.
type LeaseService interface {
	// ClaimLease takes the lease called name for holder until now+ttl, or
	// renews it if holder already has it. It reports whether holder holds
	// it now; false means another holder's lease has not run out yet.
	ClaimLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up early if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

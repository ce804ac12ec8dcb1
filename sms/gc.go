package sms

// GCSettings is how the gateway's garbage collector runs unless GOGC or
// GOMEMLIMIT is set (then Go's own reading of them stands): a collection
// when the heap has grown to five times what is live (GOGC=400), and at
// the latest when the process's Go memory reaches 512 MiB. The gateway's
// live heap is small (requests in flight, the rate limiter's numbers), so
// at Go's default of 100 the collector, and the re-growth of the stacks it
// shrinks, run far more often than the memory they save is worth, a cost
// the SMS benchmark shows at the gateway's maximum rate; the limit keeps
// memory bounded under any surge.
func GCSettings(getenv func(string) string) (percent int, limit int64, ok bool) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0, 0, false
	}
	return 400, 512 << 20, true
}

// Package faults proves lifeline's promise "never lose what was accepted"
// by breaking things for real: processes are killed with SIGKILL at random
// moments, at least 20 times each, while they import, print, register and
// send, and each time the store is reopened and checked; the real gateway
// is put through a surge of texts (with slow connections held open, and
// killed again and again during one) and every text it took is checked to
// be answered exactly once; PostgreSQL is stopped for 30 s under gateway
// load; the city platform is down and flaky.
//
// The killed processes are this test binary run again as a child (loops
// that need no command line: registrations, the upstream deliverer, the
// outbox sender) or the lifeline binary, built once per run (import,
// print). The tests run by default and take two to three minutes; -short
// skips them. LIFELINE_FAULT_KILLS sets the kills per scenario (default
// 20; LIFELINE_SURGE_KILLS for the gateway's surge alone), LIFELINE_SURGE
// how long a surge lasts (default 30s), LIFELINE_FAULT_PG_OUTAGE how long
// PostgreSQL stays away (default 30s). Tests on the shared PostgreSQL
// need LIFELINE_TEST_POSTGRES (scripts/pg.sh); the outage test starts a
// cluster of its own.
package faults

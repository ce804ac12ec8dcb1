// Package gatewaybench measures the SMS gateway's throughput with 1, 2 and 4
// replicas on one PostgreSQL, and with the embedded SQLite store, side by
// side. It has no code of its own, only the benchmark:
//
//	go test -run '^$' -bench . -benchtime 3000x ./internal/gatewaybench/
//
// Each replica is a `lifeline serve` process of its own (built once per
// run) with its own connection pool and listener; the load balancer is the
// client, which sends each signed webhook to the next replica. Replicas,
// database and load generator share the CPUs of the one machine the
// benchmark runs on, so the figures show what the database allows, not
// what more machines would add.
// PostgreSQL runs as a private cluster (internal/pgtest) with its durable
// defaults (every commit flushed; SQLite runs WAL with synchronous=NORMAL,
// which survives a crash of the process but may lose the last commits on
// power loss, so SQLite is favoured if anything); without its
// binaries the PostgreSQL cases are skipped.
package gatewaybench

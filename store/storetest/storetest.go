// Package storetest is the store's test suite, written once and run against
// every database the store supports: store/sqlite_test.go runs it on a
// SQLite file, the PostgreSQL run calls the same Run.
//
// Each file of the suite registers its tests from an init function, so a
// new area of the store adds a file here without editing this one.
package storetest

import (
	"context"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

type test struct {
	name string
	fn   func(t *testing.T, db *store.DB)
}

var tests []test

// register adds a test to the suite; call it from an init function.
func register(name string, fn func(t *testing.T, db *store.DB)) {
	for _, x := range tests {
		if x.name == name {
			panic("storetest: test registered twice: " + name)
		}
	}
	tests = append(tests, test{name, fn})
}

// Run runs every registered test as a subtest, each on a fresh store from
// open.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	for _, x := range tests {
		t.Run(x.name, func(t *testing.T) {
			db := open(t)
			x.fn(t, db)
		})
	}
}

// ctx returns a context whose actor is a staff user, for the audit log.
func ctx(t *testing.T) context.Context {
	return lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:test"})
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err carries the application error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := lifeline.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

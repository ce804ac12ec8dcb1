package store

import (
	"context"

	lifeline "github.com/lifeline-health/lifeline"
)

// KnownDocuments reports which of docs some resident holds, current or
// replaced, keyed by Document.Key. It answers a whole results file in a
// few indexed queries where ResidentByDocument would load every resident
// one by one (a results import checks its whole file this way).
func (db *DB) KnownDocuments(ctx context.Context, docs []lifeline.Document) (map[string]bool, error) {
	known := make(map[string]bool, len(docs))
	const chunk = 400
	for start := 0; start < len(docs); start += chunk {
		part := docs[start:min(start+chunk, len(docs))]
		args, revs := make([]any, len(part)), make([]any, len(part))
		for i, d := range part {
			args[i] = lifeline.NormalizeDocNumber(d.Number)
			revs[i] = reverse(args[i].(string))
		}
		for qi, q := range knownQueries(placeholders(len(part))) {
			a := args
			if qi == 0 {
				a = revs // residents are keyed by the reversed number
			}
			err := eachRow(ctx, db, db.r, func(s scanner) (d lifeline.Document, err error) {
				var t string
				err = s.Scan(&t, &d.Number)
				d.Type = lifeline.DocType(t)
				return d, err
			}, func(d lifeline.Document) error { known[d.Key()] = true; return nil }, q, a...)
			if err != nil {
				return nil, err
			}
		}
	}
	return known, nil
}

// knownQueries are KnownDocuments' two lookups for an IN list. The first
// takes reversed numbers: residents_doc is keyed on doc_rev. "doc_number
// <> ”" lets that partial index serve it; without it SQLite scans the
// table.
func knownQueries(in string) []string {
	return []string{
		`SELECT doc_type, doc_number FROM residents WHERE doc_rev IN (` + in + `) AND doc_number <> ''`,
		`SELECT doc_type, doc_number FROM resident_documents WHERE doc_number IN (` + in + `)`,
	}
}

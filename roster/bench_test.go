package roster_test

import (
	"bytes"
	"testing"

	"github.com/lifeline-health/lifeline/roster"
	"github.com/lifeline-health/lifeline/seed"
)

// BenchmarkImportCSV parses and validates a 50,000-row roster: decoding,
// header recognition, ID check digits, phones, duplicates.
func BenchmarkImportCSV(b *testing.B) {
	const n = 50000
	var buf bytes.Buffer
	if err := seed.WriteRosterCSV(&buf, seed.Config{Residents: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := roster.NewParser(roster.Options{})
		if err := p.AddCSV("roster.csv", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if c := p.Counts(); c.Residents != n {
			b.Fatalf("counts %+v", c)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseResults parses and validates the colours and results of
// 50,000 residents.
func BenchmarkParseResults(b *testing.B) {
	const n = 50000
	var buf bytes.Buffer
	if err := seed.WriteResultsCSV(&buf, seed.Config{Residents: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	rows := bytes.Count(data, []byte("\n")) - 1
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := roster.NewParser(roster.Options{Now: seed.DefaultNow})
		if err := p.AddCSV("results.csv", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if c := p.Counts(); c.Updates != rows {
			b.Fatalf("counts %+v, want %d updates", c, rows)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

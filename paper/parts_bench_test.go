package paper

import (
	"io"
	"testing"
	"time"
)

// The parts of one code's work, each on one core, to see where time goes.

func BenchmarkPartSign(b *testing.B) {
	iss := fixedIssuer{testKey(b)}
	rs := testResidents(64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := iss.Issue(rs[i%len(rs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPartQR(b *testing.B) {
	iss := fixedIssuer{testKey(b)}
	c, _ := iss.Issue(testResidents(1)[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := encodeQR(c.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPartLayout is the single writer's share: laying a prepared card
// out and, per 2,000 cards, writing the file.
func BenchmarkPartLayout(b *testing.B) {
	font := testFont(b)
	iss := fixedIssuer{testKey(b)}
	r := testResidents(1)[0]
	c, _ := iss.Issue(r)
	qr, _ := encodeQR(c.Payload)
	cd, _ := newCard(r, c, qr, font, time.UTC)
	b.ResetTimer()
	var pdf = newPDF(font, A4, time.Time{})
	for i := 0; i < b.N; i++ {
		if i%CardsPerPage == 0 {
			if i > 0 && i%2000 == 0 {
				pdf.Output(io.Discard)
				pdf = newPDF(font, A4, time.Time{})
			}
			pdf.AddPage()
			drawSheetMarks(pdf)
		}
		x, y := CardOrigin(i % CardsPerPage)
		drawCard(pdf, &cd, x, y)
	}
	if err := pdf.Output(io.Discard); err != nil {
		b.Fatal(err)
	}
}

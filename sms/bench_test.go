package sms_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

// BenchmarkInbound answers 查询 from many bound phones through the whole
// handler (signature check, dedupe write, status lookup, TwiML), in
// parallel, on a SQLite store.
func BenchmarkInbound(b *testing.B) {
	db := openStore(b)
	const n = 2000
	batch := &lifeline.ImportBatch{}
	at := time.Date(2022, 4, 9, 8, 0, 0, 0, shanghai)
	for i := 0; i < n; i++ {
		doc := lifeline.Document{Type: lifeline.DocMainlandID, Number: idNumber(i)}
		batch.Residents = append(batch.Residents, lifeline.Resident{Name: "张三丰", Doc: doc, Phones: []string{phone(i)},
			Address: lifeline.Address{Community: "幸福", Building: fmt.Sprint(i / 100), Unit: "1", Room: fmt.Sprint(i % 100)}})
		batch.Updates = append(batch.Updates, lifeline.StatusUpdate{Doc: doc, Color: lifeline.Green, At: at,
			Test: &lifeline.TestResult{SampledAt: at, Result: lifeline.Negative, Site: "s"}})
	}
	if _, err := db.Import(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	srv, err := sms.NewServer(sms.Config{Store: db, AuthToken: testToken, PublicURL: "https://sms.example.org", RateBurst: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := seq.Add(1)
			form := inbound(fmt.Sprintf("SMb%031d", k), phone(int(k)%n), "查询")
			req := httptest.NewRequest("POST", "/sms", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sms.Signature(testToken, "https://sms.example.org/sms", form))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "绿码") {
				b.Fatalf("%d %s", w.Code, w.Body.String())
			}
		}
	})
}

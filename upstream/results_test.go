package upstream_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/upstream"
)

const apiToken = "lab-token-1"

func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+upstream.ResultsPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("status %d, body is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func resultsServer(t *testing.T, db *store.DB, token string, onRevoke func(int64, int)) string {
	t.Helper()
	mux := http.NewServeMux()
	h := upstream.NewResultsHandler(db, token, onRevoke)
	h.Now = func() time.Time { return time.Date(2022, 4, 10, 9, 0, 0, 0, time.UTC) }
	mux.Handle(upstream.ResultsPath, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestResultsAuth(t *testing.T) {
	db := openSQLite(t)
	url := resultsServer(t, db, apiToken, nil)
	body := `{"result_id":"r1","resident":{"id":1},"color":"green"}`
	for _, tok := range []string{"", "wrong", apiToken + "x"} {
		if code, out := post(t, url, tok, body); code != http.StatusUnauthorized || errField(out, "code") != lifeline.EUNAUTHORIZED {
			t.Errorf("token %q: %d %v, want 401", tok, code, out)
		}
	}
	// A gateway started without a token refuses everyone, even an empty bearer.
	open := resultsServer(t, db, "", nil)
	if code, _ := post(t, open, " ", body); code != http.StatusUnauthorized {
		t.Errorf("handler without a token answered %d, want 401", code)
	}
}

func errField(out map[string]any, k string) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e[k].(string)
	return s
}

func TestResultsValidation(t *testing.T) {
	db := openSQLite(t)
	url := resultsServer(t, db, apiToken, nil)
	tests := []struct {
		name, body, field string
	}{
		{"empty body", ``, ""},
		{"not json", `{"result_id":`, ""},
		{"no result id", `{"resident":{"id":1},"color":"red"}`, "result_id"},
		{"result id with space", `{"result_id":"a b","resident":{"id":1},"color":"red"}`, "result_id"},
		{"no resident", `{"result_id":"r1","color":"red"}`, "resident.doc_number"},
		{"negative id", `{"result_id":"r1","resident":{"id":-3},"color":"red"}`, "resident.id"},
		{"id and document", `{"result_id":"r1","resident":{"id":3,"doc_number":"11010519491231002X"},"color":"red"}`, "resident"},
		{"bad doc type", `{"result_id":"r1","resident":{"doc_type":"licence","doc_number":"X1"},"color":"red"}`, "resident.doc_type"},
		{"bad check digit", `{"result_id":"r1","resident":{"doc_type":"id","doc_number":"110105194912310021"},"color":"red"}`, "resident.doc_number"},
		{"bad colour", `{"result_id":"r1","resident":{"id":1},"color":"purple"}`, "color"},
		{"nothing to do", `{"result_id":"r1","resident":{"id":1}}`, "color"},
		{"reason without colour", `{"result_id":"r1","resident":{"id":1},"color_reason":"x","test":{"sampled_at":"2022-04-09T08:00:00+08:00","result":"negative"}}`, "color"},
		{"bad colour time", `{"result_id":"r1","resident":{"id":1},"color":"red","color_at":"yesterday"}`, "color_at"},
		{"no sample time", `{"result_id":"r1","resident":{"id":1},"test":{"result":"negative"}}`, "test.sampled_at"},
		{"future sample", `{"result_id":"r1","resident":{"id":1},"test":{"sampled_at":"2022-04-12T08:00:00+08:00","result":"negative"}}`, "test.sampled_at"},
		{"bad result", `{"result_id":"r1","resident":{"id":1},"test":{"sampled_at":"2022-04-09T08:00:00+08:00","result":"maybe"}}`, "test.result"},
		{"wrong type", `{"result_id":7,"resident":{"id":1},"color":"red"}`, "result_id"},
		{"unknown field", `{"result_id":"r1","resident":{"id":1},"colour":"red"}`, "colour"},
		{"two objects", `{"result_id":"r1","resident":{"id":1},"color":"red"} {}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := post(t, url, apiToken, tt.body)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d (%v), want 400", code, out)
			}
			if got := errField(out, "field"); got != tt.field {
				t.Errorf("field %q, want %q (%v)", got, tt.field, out)
			}
			if errField(out, "message") == "" || errField(out, "code") != lifeline.EINVALID {
				t.Errorf("error without a message or code: %v", out)
			}
		})
	}
}

// TestResultsRedRevokesAndNotifies pushes a positive result that turns a
// resident red: their paper codes are revoked, the SMS is queued for each
// phone that has not opted out, and a retry of the same result changes
// nothing and queues nothing more.
func TestResultsRedRevokesAndNotifies(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		ctx := context.Background()
		res := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"},
			Phones: []string{"+8613812345678", "+8613900001111"}}
		if err := db.CreateResident(ctx, res); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOptOut(ctx, "+8613900001111", true); err != nil {
			t.Fatal(err)
		}
		issued := time.Date(2022, 4, 1, 9, 0, 0, 0, time.UTC)
		codes := []lifeline.IssuedCode{
			{Serial: []byte("0123456789abcdef"), ResidentID: res.ID, KeyID: "00112233aabbccdd", IssuedBy: "staff:wang", IssuedAt: issued, ExpiresAt: issued.AddDate(0, 0, 30)},
			{Serial: []byte("fedcba9876543210"), ResidentID: res.ID, KeyID: "00112233aabbccdd", IssuedBy: "staff:wang", IssuedAt: issued, ExpiresAt: issued.AddDate(0, 0, 30)},
		}
		if err := db.RecordIssued(ctx, codes); err != nil {
			t.Fatal(err)
		}
		var revokedFor []int64
		url := resultsServer(t, db, apiToken, func(id int64, n int) { revokedFor = append(revokedFor, id) })

		// Sampled 07:30 on 4/9 in China, written in UTC: the SMS says 4/9.
		body := `{"result_id":"lab-0409-1","resident":{"doc_type":"身份证","doc_number":"110105 19491231 002x"},
			"color":"red","color_reason":"positive test","test":{"sampled_at":"2022-04-08T23:30:00Z","result":"positive","site":"3号点","tube":"T1"}}`
		code, out := post(t, url, apiToken, body)
		if code != http.StatusOK {
			t.Fatalf("status %d: %v", code, out)
		}
		if out["changed"] != true || out["color"] != "red" || out["revoked_codes"] != 2.0 || out["messages_queued"] != 1.0 {
			t.Fatalf("answer %v, want changed, red, 2 revoked, 1 queued", out)
		}
		if len(revokedFor) != 1 || revokedFor[0] != res.ID {
			t.Fatalf("OnRevoke calls %v", revokedFor)
		}
		got, err := db.IssuedCodes(ctx, res.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if !c.Revoked() {
				t.Errorf("code %x not revoked", c.Serial)
			}
		}
		r, _ := db.Resident(ctx, res.ID)
		if r.Status.Color != lifeline.Red || r.Status.Latest == nil || r.Status.Latest.Result != lifeline.Positive {
			t.Fatalf("status %+v, want red with the positive test", r.Status)
		}
		depth, _ := db.OutboxDepth(ctx)
		if depth != 1 {
			t.Fatalf("outbox depth %d, want 1 (one phone opted out)", depth)
		}

		// The platform retries (its answer was lost): nothing changes twice.
		code, out = post(t, url, apiToken, body)
		if code != http.StatusOK || out["changed"] != false || out["revoked_codes"] != 0.0 {
			t.Fatalf("retry: %d %v, want 200, unchanged, nothing revoked", code, out)
		}
		if n, _ := db.OutboxDepth(ctx); n != 1 {
			t.Fatalf("after a retry the outbox holds %d messages, want the 1 from before", n)
		}
		msgs, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "t", Max: 10, Lease: time.Minute})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("claim: %v %v", msgs, err)
		}
		if msgs[0].To != "+8613812345678" || !strings.Contains(msgs[0].Body, "阳性") || !strings.Contains(msgs[0].Body, "4/9") || strings.Contains(msgs[0].Body, "王秀英") {
			t.Fatalf("message to %s: %q: want the positive result and a masked name", lifeline.MaskPhone(msgs[0].To), msgs[0].Body)
		}
		if len(revokedFor) != 1 {
			t.Fatalf("OnRevoke called again on retry")
		}

		// By id, a later green result.
		code, out = post(t, url, apiToken, `{"result_id":"lab-0410-7","resident":{"id":`+itoa(res.ID)+`},"color":"green","test":{"sampled_at":"2022-04-10T08:00:00+08:00","result":"negative"}}`)
		if code != http.StatusOK || out["color"] != "green" || out["messages_queued"] != 1.0 {
			t.Fatalf("green: %d %v", code, out)
		}

		// Unknown resident: 404 naming the resident.
		code, out = post(t, url, apiToken, `{"result_id":"lab-x","resident":{"doc_type":"passport","doc_number":"E12345678"},"color":"green"}`)
		if code != http.StatusNotFound || errField(out, "field") != "resident" {
			t.Fatalf("unknown resident: %d %v, want 404", code, out)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestResultSMSDay: the message reads the day in the zone it is given (the
// handler gives China's: see the 4/9 check in TestResultsRedRevokesAndNotifies).
func TestResultSMSDay(t *testing.T) {
	utc := time.Date(2022, 4, 8, 23, 30, 0, 0, time.UTC) // 07:30 on 4/9 in China
	for _, tt := range []struct {
		lang lifeline.Lang
		want string
	}{
		{lifeline.Zh, "王*英 核酸结果：4/9采样 阴性。"},
		{lifeline.En, "王*英: test sampled 4/9 is negative."},
	} {
		got := upstream.ResultSMS(tt.lang, "王秀英", utc.In(time.FixedZone("CST", 8*3600)), lifeline.Negative)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want it to start %q", tt.lang, got, tt.want)
		}
	}
}

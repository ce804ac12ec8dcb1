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
	"github.com/lifeline-health/lifeline/upstream"
)

// memStore is a ResultsStore holding one resident in memory, for fuzzing
// the handler without a database.
type memStore struct{ res lifeline.Resident }

func (m *memStore) RecordResult(ctx context.Context, u lifeline.StatusUpdate) (lifeline.StatusChange, error) {
	if u.Color != "" {
		m.res.Status.Color = u.Color
	}
	ch := lifeline.StatusChange{ResidentID: m.res.ID, Changed: true, Color: m.res.Status.Color}
	if u.Color == lifeline.Red {
		ch.Revoked = 1
	}
	return ch, nil
}
func (m *memStore) Resident(ctx context.Context, id int64) (*lifeline.Resident, error) {
	if id != m.res.ID {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("无此居民", "no such resident"))
	}
	r := m.res
	return &r, nil
}
func (m *memStore) ResidentByDocument(ctx context.Context, d lifeline.Document) (*lifeline.Resident, error) {
	if d != m.res.Doc {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("无此居民", "no such resident"))
	}
	r := m.res
	return &r, nil
}
func (m *memStore) TestResults(ctx context.Context, id int64, limit int) ([]lifeline.TestResult, error) {
	return nil, nil
}
func (m *memStore) RecordTubeResult(ctx context.Context, r lifeline.TubeResult) (lifeline.TubeChange, error) {
	if r.Code != "T1" {
		return lifeline.TubeChange{}, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("无此试管", "no such tube"))
	}
	tube := lifeline.Tube{Size: 10}
	return lifeline.TubeChange{Code: r.Code, Changed: true, Result: tube.MemberResult(r.Result),
		Members: []lifeline.TubeMemberResult{{ResidentID: m.res.ID, TestID: 1, Name: m.res.Name, Phones: m.res.Phones}}}, nil
}
func (m *memStore) Enqueue(ctx context.Context, msg *lifeline.OutboxMessage) error { return nil }
func (m *memStore) OptedOut(ctx context.Context, phone string) (bool, error)       { return false, nil }

// FuzzResultsHandler feeds arbitrary bodies to POST /api/v1/results: the
// handler must never panic and must always answer JSON with 200, 400, 404
// or 500 (a test without a stored row), never anything else.
func FuzzResultsHandler(f *testing.F) {
	for _, s := range []string{
		`{"result_id":"r1","resident":{"id":1},"color":"red"}`,
		`{"result_id":"r1","resident":{"doc_type":"id","doc_number":"11010519491231002X"},"test":{"sampled_at":"2022-04-09T08:00:00+08:00","result":"negative"}}`,
		`{"result_id":"r1","resident":{"id":1},"color":"green","color_at":"2022-04-09T08:00:00Z","color_reason":"x"}`,
		`{}`, `[]`, `null`, `{"result_id":7}`, `{"result_id":"a","resident":{"id":-1}}`,
		`{"result_id":"r2","tube":"T1","test":{"result":"positive"}}`, `{"result_id":"r3","tube":"T2","test":{"result":"negative"}}`,
	} {
		f.Add(s)
	}
	h := upstream.NewResultsHandler(&memStore{res: lifeline.Resident{ID: 1, Name: "王秀英",
		Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"}, Phones: []string{"+8613812345678"}}}, "tok", nil)
	h.Now = func() time.Time { return time.Date(2022, 4, 10, 0, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, upstream.ResultsPath, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusInternalServerError:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", w.Body.String())
		}
		if w.Code == http.StatusBadRequest {
			var e upstream.ErrorResponse
			json.Unmarshal(w.Body.Bytes(), &e)
			if e.Error.Message == "" || e.Error.Code != lifeline.EINVALID {
				t.Fatalf("400 without a message: %s", w.Body.String())
			}
		}
	})
}

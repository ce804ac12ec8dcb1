package upstream

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// APITokenEnv names the environment variable holding the bearer token the
// platform and labs must send to POST /api/v1/results.
const APITokenEnv = "LIFELINE_API_TOKEN"

// ResultsPath is where ResultsHandler is mounted.
const ResultsPath = "/api/v1/results"

// ResultsStore is what ResultsHandler needs from the store.
type ResultsStore interface {
	RecordResult(ctx context.Context, u lifeline.StatusUpdate) (lifeline.StatusChange, error)
	Resident(ctx context.Context, id int64) (*lifeline.Resident, error)
	ResidentByDocument(ctx context.Context, d lifeline.Document) (*lifeline.Resident, error)
	TestResults(ctx context.Context, residentID int64, limit int) ([]lifeline.TestResult, error)
	RecordTubeResult(ctx context.Context, r lifeline.TubeResult) (lifeline.TubeChange, error)
	Enqueue(ctx context.Context, m *lifeline.OutboxMessage) error
	OptedOut(ctx context.Context, phone string) (bool, error)
}

// ResultsHandler serves POST /api/v1/results: a test result and/or colour
// change for one resident, pushed by the city platform or a lab. It is
// idempotent by result_id, and every side effect is too, so a platform
// that retries after a timeout (or after this process died half way)
// changes nothing twice: the result is stored once, with the codes of a
// resident it leaves red revoked in the same transaction (the store's
// rule, lifeline.ResidentService.RecordResult, which imports follow too),
// and the "result is in" SMS is queued once per phone (its dedupe key is
// the stored test and the phone).
type ResultsHandler struct {
	Store ResultsStore
	// Token is the bearer token callers must send. An empty token refuses
	// every request: the API is never open by accident.
	Token string
	// Lang is the language of the SMS sent to residents (Chinese by default).
	Lang lifeline.Lang
	// Location is where the sampling day in that SMS is read (default
	// UTC+8, as the gateway's replies).
	Location *time.Location
	// OnRevoke, if set, is called after codes of a resident who turned red
	// were revoked, so the gateway can refresh what it checks paper codes
	// against without waiting for its next reload.
	OnRevoke func(residentID int64, revoked int)
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Logf, if set, receives one line per request that failed on our side.
	Logf func(format string, args ...any)
}

// NewResultsHandler returns a handler for POST /api/v1/results.
func NewResultsHandler(store ResultsStore, token string, onRevoke func(residentID int64, revoked int)) *ResultsHandler {
	return &ResultsHandler{Store: store, Token: token, OnRevoke: onRevoke}
}

// ResultRequest is the JSON body of POST /api/v1/results (docs/upstream.md).
// A result by tube gives Tube, the tube's barcode, instead of Resident.
type ResultRequest struct {
	ResultID    string        `json:"result_id"`
	Resident    ResidentRef   `json:"resident"`
	Tube        string        `json:"tube,omitempty"`
	Color       string        `json:"color,omitempty"`
	ColorReason string        `json:"color_reason,omitempty"`
	ColorAt     string        `json:"color_at,omitempty"`
	Test        *TestResultIn `json:"test,omitempty"`
}

// ResidentRef names a resident by lifeline's id or by document.
type ResidentRef struct {
	ID          int64  `json:"id,omitempty"`
	DocType     string `json:"doc_type,omitempty"`
	DocNumber   string `json:"doc_number,omitempty"`
	Nationality string `json:"nationality,omitempty"`
}

// TestResultIn is a nucleic-acid test result in a request.
type TestResultIn struct {
	SampledAt string `json:"sampled_at"`
	Result    string `json:"result"`
	Site      string `json:"site,omitempty"`
	Tube      string `json:"tube,omitempty"`
}

// ResultResponse is the JSON answer to an accepted request.
type ResultResponse struct {
	ResultID       string `json:"result_id"`
	ResidentID     int64  `json:"resident_id"`
	Changed        bool   `json:"changed"`
	Color          string `json:"color"`
	RevokedCodes   int    `json:"revoked_codes"`
	MessagesQueued int    `json:"messages_queued"`
}

// TubeResponse is the JSON answer to an accepted result by tube.
type TubeResponse struct {
	ResultID string `json:"result_id"`
	Tube     string `json:"tube"`
	Changed  bool   `json:"changed"`
	// Result is what each member got: pooled_positive for a positive
	// pool.
	Result         string  `json:"result"`
	ResidentIDs    []int64 `json:"resident_ids"`
	MessagesQueued int     `json:"messages_queued"`
}

// ErrorResponse is the JSON answer to a refused request.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what was wrong: a code from lifeline's error codes, the
// field at fault when there is one, and a sentence in English and Chinese.
type ErrorBody struct {
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh,omitempty"`
}

// fieldError is a validation failure naming the field.
type fieldError struct {
	field string
	msg   lifeline.Text
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg.En }

func invalid(field, zh, en string) *fieldError {
	return &fieldError{field: field, msg: lifeline.T(zh, en)}
}

func (h *ResultsHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (h *ResultsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, ErrorBody{Code: lifeline.EINVALID, Message: "use POST", MessageZh: "请使用 POST"})
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lifeline"`)
		writeError(w, http.StatusUnauthorized, ErrorBody{Code: lifeline.EUNAUTHORIZED, Message: "missing or wrong bearer token", MessageZh: "缺少或错误的访问令牌"})
		return
	}
	var req ResultRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, decodeError(err))
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: lifeline.EINVALID, Message: "the body must hold one JSON object", MessageZh: "请求体只能包含一个 JSON 对象"})
		return
	}
	var resp any
	ctx := lifeline.WithActor(r.Context(), lifeline.Actor{User: "upstream"})
	if req.Tube != "" {
		tr, err := h.validateTube(&req)
		if err == nil {
			resp, err = h.applyTube(ctx, tr)
		}
		if err != nil {
			h.writeError(w, err, "tube")
			return
		}
	} else {
		u, err := h.validate(&req)
		if err == nil {
			resp, err = h.apply(ctx, &req, u)
		}
		if err != nil {
			h.writeError(w, err, "resident")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (h *ResultsHandler) authorized(r *http.Request) bool {
	if h.Token == "" {
		return false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(h.Token)) == 1
}

// decodeError turns a JSON decoding error into a 400 body naming the field
// when the decoder knows it.
func decodeError(err error) ErrorBody {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &te):
		return ErrorBody{Code: lifeline.EINVALID, Field: te.Field,
			Message:   fmt.Sprintf("%s must be a %s, not a JSON %s", te.Field, te.Type, te.Value),
			MessageZh: fmt.Sprintf("字段 %s 的类型不对", te.Field)}
	case errors.As(err, &se):
		return ErrorBody{Code: lifeline.EINVALID, Message: fmt.Sprintf("the body is not valid JSON (at byte %d)", se.Offset), MessageZh: "请求体不是有效的 JSON"}
	case errors.As(err, &mbe):
		return ErrorBody{Code: lifeline.EINVALID, Message: "the body is larger than 64 KiB", MessageZh: "请求体超过 64 KiB"}
	case errors.Is(err, io.EOF):
		return ErrorBody{Code: lifeline.EINVALID, Message: "the body is empty", MessageZh: "请求体为空"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return ErrorBody{Code: lifeline.EINVALID, Field: f, Message: "unknown field " + f, MessageZh: "未知字段 " + f}
	}
	return ErrorBody{Code: lifeline.EINVALID, Message: "the body is not valid JSON: " + msg, MessageZh: "请求体不是有效的 JSON"}
}

// resultID checks a request's result_id, the idempotency key of what it
// asks for.
func resultID(req *ResultRequest) (string, error) {
	id := strings.TrimSpace(req.ResultID)
	if id == "" {
		return "", invalid("result_id", "缺少 result_id", "result_id is required")
	}
	if len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return "", invalid("result_id", "result_id 应为不超过 128 个可见 ASCII 字符", "result_id must be at most 128 printable ASCII characters")
	}
	return id, nil
}

// validate checks a request and builds the StatusUpdate it asks for.
func (h *ResultsHandler) validate(req *ResultRequest) (lifeline.StatusUpdate, error) {
	var u lifeline.StatusUpdate
	id, err := resultID(req)
	if err != nil {
		return u, err
	}
	u.ExternalID = id
	ref := req.Resident
	switch {
	case ref.ID < 0:
		return u, invalid("resident.id", "resident.id 应为正整数", "resident.id must be a positive integer")
	case ref.ID > 0:
		if ref.DocNumber != "" {
			return u, invalid("resident", "resident 只能给出 id 或证件，不能同时给出", "give resident.id or a document, not both")
		}
		u.ResidentID = ref.ID
	default:
		if strings.TrimSpace(ref.DocNumber) == "" {
			return u, invalid("resident.doc_number", "缺少居民：请给出 resident.id、resident.doc_number 或 tube", "resident is required: give resident.id, resident.doc_number or tube")
		}
		t, err := lifeline.ParseDocType(ref.DocType)
		if err != nil {
			return u, invalid("resident.doc_type", "未知证件类型 "+ref.DocType, "unknown document type "+ref.DocType+": use id, passport, hkmo or tw")
		}
		d := lifeline.Document{Type: t, Number: lifeline.NormalizeDocNumber(ref.DocNumber), Nationality: strings.ToUpper(strings.TrimSpace(ref.Nationality))}
		if err := d.Validate(); err != nil {
			var le *lifeline.Error
			errors.As(err, &le)
			return u, &fieldError{field: "resident.doc_number", msg: le.Message}
		}
		u.Doc = d
	}
	now := h.now()
	if req.Color != "" {
		c, err := lifeline.ParseColor(req.Color)
		if err != nil {
			return u, invalid("color", "color 应为 green、yellow 或 red", "color must be green, yellow or red")
		}
		u.Color = c
		u.ColorReason = strings.TrimSpace(req.ColorReason)
		u.At = now
		if req.ColorAt != "" {
			t, err := parseTime(req.ColorAt, now)
			if err != nil {
				return u, &fieldError{field: "color_at", msg: err.(*fieldError).msg}
			}
			u.At = t
		}
	} else if req.ColorReason != "" || req.ColorAt != "" {
		return u, invalid("color", "给出了 color_reason 或 color_at 却没有 color", "color_reason and color_at need a color")
	}
	if req.Test != nil {
		t, err := parseTime(req.Test.SampledAt, now)
		if err != nil {
			return u, &fieldError{field: "test.sampled_at", msg: err.(*fieldError).msg}
		}
		res, err := lifeline.ParseResult(req.Test.Result)
		if err != nil {
			return u, invalid("test.result", "test.result 应为 negative、positive 或 pending", "test.result must be negative, positive or pending")
		}
		u.Test = &lifeline.TestResult{SampledAt: t, Result: res, Site: strings.TrimSpace(req.Test.Site), Tube: strings.TrimSpace(req.Test.Tube), ExternalID: id, ReceivedAt: now}
	}
	if u.Color == "" && u.Test == nil {
		return u, invalid("color", "请给出 color、test 或两者", "give a color, a test or both")
	}
	return u, nil
}

// parseTime reads an RFC 3339 time that is not more than an hour ahead of
// now (clocks drift; a date a day ahead is a mistake).
func parseTime(s string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, invalid("", "缺少时间", "a time is required (RFC 3339, e.g. 2022-04-09T08:00:00+08:00)")
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, invalid("", "时间格式应为 RFC 3339，例如 2022-04-09T08:00:00+08:00", "a time must be RFC 3339, e.g. 2022-04-09T08:00:00+08:00")
	}
	if t.After(now.Add(time.Hour)) {
		return time.Time{}, invalid("", "时间不能在未来", "the time is in the future")
	}
	return t, nil
}

// apply stores the update (and with it the revocations it calls for) and
// queues the SMS. Queueing is not conditioned on "changed": a retry after
// a crash between storing and queueing must still queue, and the queue is
// idempotent by itself.
func (h *ResultsHandler) apply(ctx context.Context, req *ResultRequest, u lifeline.StatusUpdate) (*ResultResponse, error) {
	var res *lifeline.Resident
	var err error
	if u.ResidentID != 0 {
		res, err = h.Store.Resident(ctx, u.ResidentID)
	} else {
		res, err = h.Store.ResidentByDocument(ctx, u.Doc)
	}
	if err != nil {
		return nil, err
	}
	u.ResidentID = res.ID
	ch, err := h.Store.RecordResult(ctx, u)
	if err != nil {
		return nil, err
	}
	resp := &ResultResponse{ResultID: u.ExternalID, ResidentID: res.ID, Changed: ch.Changed, Color: string(ch.Color), RevokedCodes: ch.Revoked}
	if ch.Revoked > 0 && h.OnRevoke != nil {
		h.OnRevoke(res.ID, ch.Revoked)
	}
	if u.Test != nil && u.Test.Result != lifeline.Pending {
		testID, err := h.testRowID(ctx, res.ID, u.Test)
		if err != nil {
			return nil, err
		}
		loc := h.Location
		if loc == nil {
			loc = lifeline.ChinaTime
		}
		body := ResultSMS(h.Lang, res.Name, u.Test.SampledAt.In(loc), u.Test.Result)
		n, err := h.queue(ctx, res.Phones, testID, body)
		if err != nil {
			return nil, err
		}
		resp.MessagesQueued += n
	}
	return resp, nil
}

// queue queues a result's SMS to each phone that has not opted out and
// says to how many.
func (h *ResultsHandler) queue(ctx context.Context, phones []string, testID int64, body string) (int, error) {
	n := 0
	for _, phone := range phones {
		out, err := h.Store.OptedOut(ctx, phone)
		if err != nil {
			return n, err
		}
		if out {
			continue
		}
		// The key is the one the gateway's own scan for new results uses
		// (result:<test row id>:<phone>), so the two never both send.
		m := &lifeline.OutboxMessage{To: phone, Body: body, Kind: "result", DedupeKey: fmt.Sprintf("result:%d:%s", testID, phone)}
		if err := h.Store.Enqueue(ctx, m); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// testRowID finds the stored row of a test just recorded: by its external
// id, or by its sample (the same sample may have come earlier under another
// id, in an import).
func (h *ResultsHandler) testRowID(ctx context.Context, residentID int64, t *lifeline.TestResult) (int64, error) {
	tests, err := h.Store.TestResults(ctx, residentID, 200)
	if err != nil {
		return 0, err
	}
	for _, x := range tests {
		if x.ExternalID == t.ExternalID {
			return x.ID, nil
		}
	}
	for _, x := range tests {
		if x.SampledAt.Equal(t.SampledAt) && x.Site == t.Site {
			return x.ID, nil
		}
	}
	return 0, lifeline.Errorf(lifeline.EINTERNAL, lifeline.T("刚保存的检测结果找不到了", "the test result just stored was not found"))
}

// ResultSMS is the "result is in" message: short, with the masked name so
// a phone shared by a family knows whose result it is, the sampling day and
// the result in words, and the one-word command that shows the code.
func ResultSMS(l lifeline.Lang, name string, sampled time.Time, r lifeline.Result) string {
	day := sampled.Format("1/2")
	return l.Pick(
		fmt.Sprintf("%s 核酸结果：%s采样 %s。回复查询看健康状态，回复退订停止通知。", lifeline.MaskName(name), day, r.Label(l)),
		fmt.Sprintf("%s: test sampled %s is %s. Reply STATUS for the health code, STOP to end notices.", lifeline.MaskName(name), day, r.Label(l)))
}

// writeError answers a request that failed validation (400, naming the
// field) or in the store (notFound: see writeStoreError).
func (h *ResultsHandler) writeError(w http.ResponseWriter, err error, notFound string) {
	var fe *fieldError
	if errors.As(err, &fe) {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: lifeline.EINVALID, Field: fe.field, Message: fe.msg.En, MessageZh: fe.msg.Zh})
		return
	}
	h.writeStoreError(w, err, notFound)
}

// validateTube checks a result by tube: a barcode instead of a resident,
// and a test result without colour (test.sampled_at may be left out: each
// member's result is dated by their own swab).
func (h *ResultsHandler) validateTube(req *ResultRequest) (lifeline.TubeResult, error) {
	var tr lifeline.TubeResult
	id, err := resultID(req)
	if err != nil {
		return tr, err
	}
	tr.Code, tr.ExternalID, tr.ReceivedAt = strings.TrimSpace(req.Tube), id, h.now()
	switch {
	case req.Resident != (ResidentRef{}):
		return tr, invalid("tube", "只能给出 tube 或 resident，不能同时给出", "give tube or resident, not both")
	case req.Color != "" || req.ColorReason != "" || req.ColorAt != "":
		return tr, invalid("color", "按试管给出的结果不能带健康码", "a result by tube carries no colour")
	case req.Test == nil:
		return tr, invalid("test", "按试管给出结果时须有 test", "a result by tube needs a test")
	}
	if err := lifeline.ValidTubeCode(tr.Code); err != nil {
		var le *lifeline.Error
		errors.As(err, &le)
		return tr, &fieldError{field: "tube", msg: le.Message}
	}
	if req.Test.SampledAt != "" {
		if _, err := parseTime(req.Test.SampledAt, h.now()); err != nil {
			return tr, &fieldError{field: "test.sampled_at", msg: err.(*fieldError).msg}
		}
	}
	res, err := lifeline.ParseResult(req.Test.Result)
	if err != nil || res == lifeline.PooledPositive {
		return tr, invalid("test.result", "test.result 应为 negative、positive 或 pending", "test.result must be negative, positive or pending")
	}
	tr.Result = res
	return tr, nil
}

// applyTube stores a tube's result for each member (with, for a positive
// pool, the "retest alone" SMS the store queues) and queues the "result is
// in" SMS of any other final result to each member's phones, keyed as for
// a result by person, so a retry queues nothing twice.
func (h *ResultsHandler) applyTube(ctx context.Context, tr lifeline.TubeResult) (*TubeResponse, error) {
	ch, err := h.Store.RecordTubeResult(ctx, tr)
	if err != nil {
		return nil, err
	}
	resp := &TubeResponse{ResultID: tr.ExternalID, Tube: ch.Code, Changed: ch.Changed, Result: string(ch.Result), ResidentIDs: []int64{}, MessagesQueued: ch.Queued}
	loc := h.Location
	if loc == nil {
		loc = lifeline.ChinaTime
	}
	for _, m := range ch.Members {
		resp.ResidentIDs = append(resp.ResidentIDs, m.ResidentID)
		if ch.Result == lifeline.Pending || ch.Result == lifeline.PooledPositive {
			continue
		}
		body := ResultSMS(h.Lang, m.Name, m.SampledAt.In(loc), ch.Result)
		n, err := h.queue(ctx, m.Phones, m.TestID, body)
		if err != nil {
			return nil, err
		}
		resp.MessagesQueued += n
	}
	return resp, nil
}

// writeStoreError answers a request the store refused or failed; a
// request naming nothing the store has names the field notFound.
func (h *ResultsHandler) writeStoreError(w http.ResponseWriter, err error, notFound string) {
	code := lifeline.ErrorCode(err)
	status := http.StatusInternalServerError
	switch code {
	case lifeline.EINVALID:
		status = http.StatusBadRequest
	case lifeline.ENOTFOUND:
		status = http.StatusNotFound
	case lifeline.ECONFLICT:
		status = http.StatusConflict
	case lifeline.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	if status >= 500 && h.Logf != nil {
		h.Logf("results api: %v", err)
	}
	body := ErrorBody{Code: code, Message: lifeline.ErrorMessage(err, lifeline.En), MessageZh: lifeline.ErrorMessage(err, lifeline.Zh)}
	if code == lifeline.ENOTFOUND {
		body.Field = notFound
	}
	writeError(w, status, body)
}

func writeError(w http.ResponseWriter, status int, body ErrorBody) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ErrorResponse{Error: body})
}

// ServeResults serves h at ResultsPath on ln until ctx ends, then shuts
// down, letting requests in flight finish for up to ten seconds. Its
// timeouts keep a slow or stalled caller from holding a connection open.
func ServeResults(ctx context.Context, ln net.Listener, h http.Handler) error {
	mux := http.NewServeMux()
	mux.Handle(ResultsPath, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}

package sms_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
	twclient "github.com/twilio/twilio-go/client"
)

// replyText reads the one <Message> of a TwiML answer, or "" for an empty
// <Response/>.
func replyText(t testing.TB, x string) string {
	t.Helper()
	var resp struct {
		XMLName  xml.Name `xml:"Response"`
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal([]byte(x), &resp); err != nil {
		t.Fatalf("not TwiML: %v: %q", err, x)
	}
	switch len(resp.Messages) {
	case 0:
		return ""
	case 1:
		return resp.Messages[0]
	}
	t.Fatalf("%d messages in one answer: %q", len(resp.Messages), x)
	return ""
}

// family is the test world: 张三丰 (phone 1) cares for his mother 李秀英
// through an approved link; 王五's son (phone 2) asked to care for him but
// the link is still pending; phone 9 is bound to no one.
type family struct {
	zhang, li, wang *lifeline.Resident
}

func seedFamily(t *testing.T, db *store.DB) family {
	t.Helper()
	ctx := context.Background()
	fresh := testNow.Add(-time.Hour)
	f := family{
		zhang: addResident(t, db, 1, "张三丰", []string{phone(1)}, "301", fresh),
		li:    addResident(t, db, 2, "李秀英", nil, "502", fresh),
		wang:  addResident(t, db, 3, "王五", nil, "601", fresh),
	}
	mother := &lifeline.Relative{ResidentID: f.li.ID, RelativeResidentID: f.zhang.ID, Relation: "子女"}
	if err := db.LinkRelative(ctx, mother); err != nil {
		t.Fatal(err)
	}
	if mother.State != lifeline.ReviewPending {
		t.Fatalf("link across households is %s, want pending first", mother.State)
	}
	if err := db.ReviewRelative(ctx, mother.ID, true, "", "staff:test"); err != nil {
		t.Fatal(err)
	}
	if err := db.LinkRelative(ctx, &lifeline.Relative{ResidentID: f.wang.ID, Phone: phone(2), Relation: "子女"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// privateData matches anything that must never appear in a reply: a full
// ID number, a full phone number, an unmasked name.
func checkPrivate(t *testing.T, reply string, f family) {
	t.Helper()
	for _, r := range []*lifeline.Resident{f.zhang, f.li, f.wang} {
		if strings.Contains(reply, r.Doc.Number) || strings.Contains(reply, r.Name) {
			t.Errorf("reply leaks %s's identity: %q", lifeline.MaskName(r.Name), reply)
		}
	}
	if regexp.MustCompile(`\d{11}`).MatchString(reply) {
		t.Errorf("reply holds a long number: %q", reply)
	}
}

func TestCommandsInBothLanguages(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	g := newGateway(t, db, nil)
	cases := []struct {
		body string
		want []string // substrings, in order
	}{
		{"查询", []string{"张*丰 绿码 4/9 08:00采样 阴性", "李*英 绿码 4/9 08:00采样 阴性"}},
		{"查詢", []string{"张*丰 绿码"}},
		{"cx", []string{"张*丰 绿码"}},
		{"1", []string{"张*丰 绿码"}},
		{"１", []string{"张*丰 绿码"}},
		{"STATUS", []string{"张*丰 GREEN test 4/9 08:00 negative", "李*英 GREEN"}},
		{" status. ", []string{"GREEN test"}},
		{"ＳＴＡＴＵＳ", []string{"GREEN test"}},
		{"帮助", []string{"回复：查询"}},
		{"幫助", []string{"回复：查询"}},
		{"BZ", []string{"回复：查询"}},
		{"?", []string{"回复：查询"}},
		{"？", []string{"回复：查询"}},
		{"help", []string{"Reply STATUS"}},
		// Latin letters that are no command, from a mainland number: the
		// Chinese help.
		{"what is this", []string{"回复：查询"}},
		{"查健康码", []string{"张*丰 绿码", "李*英 绿码"}},
		{"我的码", []string{"张*丰 绿码"}},
		{"chaxun", []string{"张*丰 绿码"}},
		{"你好", []string{"回复：查询"}},
		{"离线码", []string{"已为张*丰等2人申请纸质码", "4/11(周一) 9-17点", "幸福社区办公室"}},
		{"離線碼", []string{"已为张*丰等2人申请纸质码"}},
		{"code", []string{"Paper code for 张*丰 +1", "pick up at 幸福 community office, Mon 4/11 9-5."}},
		{"退订", []string{"已退订通知"}},
		{"订阅", []string{"已恢复通知"}},
		{"TD", []string{"已退订通知"}},
		{"退訂", []string{"已退订通知"}},
		{"訂閱", []string{"已恢复通知"}},
		{"Stop", []string{"Alerts stopped"}},
		{"START", []string{"Alerts on"}},
	}
	for _, c := range cases {
		g.clock.Add(time.Minute) // stay under the per-number limit
		got := g.text(phone(1), c.body)
		rest := got
		for _, w := range c.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%q: reply %q lacks %q", c.body, got, w)
				break
			}
			rest = rest[i+len(w):]
		}
		if !sms.FitsOne(got) {
			n, enc, units := sms.Segments(got)
			t.Errorf("%q: reply takes %d segments (%s, %d units): %q", c.body, n, enc, units, got)
		}
		checkPrivate(t, got, f)
	}
	// 离线码 put both people in the staff print queue, once each.
	q, err := db.PrintQueue(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, p := range q {
		got[p.ResidentID] = p.Source
	}
	if len(q) != 2 || got[f.zhang.ID] != "sms" || got[f.li.ID] != "sms" {
		t.Fatalf("print queue = %+v", q)
	}
	// What was no command is counted, for the office to see what people
	// type: "what is this" and "你好".
	_, _, metrics := get(t, g.ts.URL+"/metrics")
	for _, want := range []string{`lifeline_sms_unrecognised_total{lang="zh"} 2`, `lifeline_sms_unrecognised_total{lang="en"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOptOutCommands(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, nil)
	ctx := context.Background()
	g.text(phone(1), "退订")
	if out, _ := db.OptedOut(ctx, phone(1)); !out {
		t.Fatal("退订 did not opt out")
	}
	m := &lifeline.OutboxMessage{To: phone(1), Body: "通知", Kind: "result"}
	if err := db.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.State != lifeline.OutboxDropped {
		t.Fatalf("notification to an opted-out number is %s", m.State)
	}
	g.text(phone(1), "START")
	if out, _ := db.OptedOut(ctx, phone(1)); out {
		t.Fatal("START did not opt back in")
	}
	// An unknown number may opt out of what it would never get anyway.
	if got := g.text(phone(9), "stop"); !strings.Contains(got, "Alerts stopped") {
		t.Fatalf("stop from unknown number: %q", got)
	}
}

func TestPrivacy(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	g := newGateway(t, db, func(c *sms.Config) { c.RateBurst = 100 })
	// An unknown number, and a relative whose link is still pending, get
	// the same answer whatever they send: someone else's ID number, name or
	// phone, a status request, a paper-code request.
	probes := []string{"查询", "1", "离线码", "帮助", f.wang.Doc.Number, "查询 " + f.wang.Doc.Number, f.zhang.Doc.Number[:17] + "x", "王五", phone(1), "hello"}
	for _, from := range []string{phone(9), phone(2)} {
		want := map[lifeline.Lang]string{}
		for _, p := range probes {
			got := g.text(from, p)
			checkPrivate(t, got, f)
			l := sms.Parse(p).Lang
			if want[l] == "" {
				want[l] = got
			}
			if got != want[l] {
				t.Errorf("%s texting %q got %q, others got %q", lifeline.MaskPhone(from), p, got, want[l])
			}
			if strings.Contains(got, "绿码") || strings.Contains(got, "GREEN") || strings.Contains(got, "*") {
				t.Errorf("%s texting %q learned a status: %q", lifeline.MaskPhone(from), p, got)
			}
		}
	}
	q, _ := db.PrintQueue(context.Background(), "")
	if len(q) != 0 {
		t.Fatalf("strangers queued %d print requests", len(q))
	}
	// Once staff approve the link, the son sees his father.
	rels, err := db.Relatives(context.Background(), f.wang.ID)
	if err != nil || len(rels) != 1 {
		t.Fatalf("relatives: %v %v", rels, err)
	}
	if err := db.ReviewRelative(context.Background(), rels[0].ID, true, "", "staff:test"); err != nil {
		t.Fatal(err)
	}
	if got := g.text(phone(2), "查询"); !strings.HasPrefix(got, "王* 绿码") {
		t.Fatalf("approved relative got %q", got)
	}
}

func TestReplayGetsTheSameReply(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	g := newGateway(t, db, nil)
	first := g.textSid("SMreplay0000000000000000000000001", phone(1), "查询")
	// The status changes; Twilio retries the same message: same answer.
	if _, err := db.RecordResult(context.Background(), lifeline.StatusUpdate{ResidentID: f.zhang.ID, Color: lifeline.Yellow, At: testNow}); err != nil {
		t.Fatal(err)
	}
	again := g.textSid("SMreplay0000000000000000000000001", phone(1), "查询")
	if again != first {
		t.Fatalf("retry got %q, first got %q", again, first)
	}
	if fresh := g.text(phone(1), "查询"); !strings.Contains(fresh, "黄码") {
		t.Fatalf("a new message should see the change: %q", fresh)
	}
	// A paper-code request retried is processed once.
	a := g.textSid("SMreplay0000000000000000000000002", phone(1), "离线码")
	q1, _ := db.PrintQueue(context.Background(), "")
	for _, p := range q1 {
		if err := db.MarkPrinted(context.Background(), p.ID, "staff:test"); err != nil {
			t.Fatal(err)
		}
	}
	b := g.textSid("SMreplay0000000000000000000000002", phone(1), "离线码")
	q2, _ := db.PrintQueue(context.Background(), "")
	if a != b || len(q2) != 0 {
		t.Fatalf("replayed 离线码: %q vs %q, %d new print requests", a, b, len(q2))
	}
}

func TestStaleStatusShowsItsAge(t *testing.T) {
	db := openStore(t)
	addResident(t, db, 1, "张三丰", []string{phone(1)}, "301", time.Date(2022, 4, 7, 20, 30, 0, 0, shanghai))
	g := newGateway(t, db, nil)
	if got := g.text(phone(1), "查询"); !strings.HasSuffix(got, " 截至4/7 20:30") {
		t.Fatalf("stale status: %q", got)
	}
	if got := g.text(phone(1), "status"); !strings.HasSuffix(got, " as of 4/7 20:30") {
		t.Fatalf("stale status: %q", got)
	}
	g.clock.Set(time.Date(2022, 4, 8, 8, 0, 0, 0, shanghai))
	if got := g.text(phone(1), "查询"); strings.Contains(got, "截至") {
		t.Fatalf("fresh status marked stale: %q", got)
	}
}

// TestStatusPages binds one phone to more people than one segment holds:
// the first reply says how many remain and which digit to send, and the
// pages together name everyone once, each page one segment.
func TestStatusPages(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	fresh := testNow.Add(-time.Hour)
	names := []string{"张三丰", "李秀英", "王建国", "赵淑芬", "钱德明", "孙桂兰", "周志强"}
	self := addResident(t, db, 1, names[0], []string{phone(1)}, "301", fresh)
	for i, n := range names[1:] {
		r := addResident(t, db, i+2, n, nil, "301", fresh) // same household: approved at once
		if err := db.LinkRelative(ctx, &lifeline.Relative{ResidentID: r.ID, RelativeResidentID: self.ID, Relation: "家人"}); err != nil {
			t.Fatal(err)
		}
	}
	g := newGateway(t, db, func(c *sms.Config) { c.RateBurst = 100 })
	seen := map[string]int{}
	page := g.text(phone(1), "查询")
	for n := 2; ; n++ {
		if !sms.FitsOne(page) {
			t.Fatalf("page %d takes more than one segment: %q", n-1, page)
		}
		for _, name := range names {
			if strings.Contains(page, lifeline.MaskName(name)+" 绿码") {
				seen[name]++
			}
		}
		hint := fmt.Sprintf("回复%d查看", n)
		if !strings.Contains(page, hint) {
			break
		}
		if n > 9 {
			t.Fatal("too many pages")
		}
		page = g.text(phone(1), fmt.Sprint(n))
		if n == 2 && !strings.Contains(page, "绿码") {
			t.Fatalf("page 2: %q", page)
		}
	}
	if len(seen) != len(names) {
		t.Fatalf("pages named %d of %d people: %v", len(seen), len(names), seen)
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s named %d times", lifeline.MaskName(name), c)
		}
	}
	if got := g.text(phone(1), "9"); !strings.Contains(got, "没有更多") {
		t.Fatalf("page past the end: %q", got)
	}
}

func TestSignatureIsRequired(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, nil)
	form := inbound("SMsig00000000000000000000000000001", phone(1), "查询")
	if code, _, body := g.post("/sms", form, false); code != http.StatusForbidden || body != "" {
		t.Fatalf("unsigned: %d %q", code, body)
	}
	req, _ := http.NewRequest("POST", g.ts.URL+"/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Signed over the loopback URL instead of the public one Twilio calls.
	req.Header.Set("X-Twilio-Signature", sms.Signature(testToken, g.ts.URL+"/sms", form))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong URL signed: %d", res.StatusCode)
	}
	// A signature for other parameters does not carry over.
	other := inbound("SMsig00000000000000000000000000001", phone(1), "离线码")
	req, _ = http.NewRequest("POST", g.ts.URL+"/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Signature(testToken, g.public+"/sms", other))
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered body: %d", res.StatusCode)
	}
	// The status callback is signed the same way.
	if code, _, _ := g.post("/sms/status", url.Values{"MessageSid": {"SMx"}, "MessageStatus": {"delivered"}}, false); code != http.StatusForbidden {
		t.Fatalf("unsigned status callback: %d", code)
	}
	// What the gateway accepts, twilio-go's own validator accepts too, and
	// a query string is part of what is signed.
	v := twclient.NewRequestValidator(testToken)
	full := g.public + "/sms?site=3"
	req, _ = http.NewRequest("POST", g.ts.URL+"/sms?site=3", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sig := sms.Signature(testToken, full, form)
	req.Header.Set("X-Twilio-Signature", sig)
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if res.StatusCode != 200 || !v.ValidateBody(full, []byte(form.Encode()), sig) {
		t.Fatalf("signed with query: %d, twilio-go agrees: %v", res.StatusCode, v.ValidateBody(full, []byte(form.Encode()), sig))
	}
	// Without a token the gateway refuses to start, unless told to.
	if _, err := sms.NewServer(sms.Config{Store: db, PublicURL: "https://sms.example.org"}); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("no token: %v", err)
	}
	insecure := newGateway(t, db, func(c *sms.Config) { c.AuthToken, c.Insecure = "", true })
	if code, _, _ := insecure.post("/sms", inbound("SMins", phone(1), "查询"), false); code != 200 {
		t.Fatalf("insecure mode refused an unsigned request: %d", code)
	}
}

// TestRateLimitTellsOnceThenGoesSilent: a number over its limit is told
// once how long to wait, then hears nothing for the rest of the window, so
// a carrier's auto-reply cannot loop with us; after the window a number
// still over its limit is told again.
func TestRateLimitTellsOnceThenGoesSilent(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, func(c *sms.Config) { c.RateBurst, c.RateRefill = 3, time.Minute })
	for i := 0; i < 3; i++ {
		if got := g.text(phone(1), "查询"); got == "" || strings.Contains(got, "频繁") {
			t.Fatalf("reply %d: %q", i+1, got)
		}
	}
	g.clock.Add(20 * time.Second)
	if got := g.text(phone(1), "查询"); got != "发得太频繁，请1分钟后再发。" {
		t.Fatalf("first message over the limit: %q, want the notice", got)
	}
	// A carrier auto-reply bouncing our answers back: silence, not a loop.
	for i := 0; i < 5; i++ {
		if got := g.text(phone(1), "自动回复：您好"); got != "" {
			t.Fatalf("over the limit after the notice, got %q", got)
		}
	}
	// Other numbers are not affected; English gets English.
	if got := g.text(phone(9), "1"); got == "" {
		t.Fatal("another number was silenced")
	}
	g.clock.Add(time.Minute)
	if got := g.text(phone(1), "查询"); got == "" || strings.Contains(got, "频繁") {
		t.Fatalf("after the refill: %q", got)
	}
	// Still inside the window of the notice: silence.
	if got := g.text(phone(1), "STATUS"); got != "" {
		t.Fatalf("over the limit again inside the window: %q", got)
	}
	g.clock.Add(3 * time.Minute)
	for i := 0; i < 3; i++ {
		g.text(phone(1), "STATUS")
	}
	if got := g.text(phone(1), "STATUS"); got != "Too many messages: please wait 1 min." {
		t.Fatalf("over the limit in a new window: %q", got)
	}
	_, _, metrics := get(t, g.ts.URL+"/metrics")
	for _, want := range []string{
		`lifeline_sms_requests_total{command="unknown",outcome="limited"} 5`,
		"lifeline_sms_rate_limited_total 8",
		"lifeline_sms_rate_limit_notices_total 2",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
}

// TestRateLimitNoticeIsTheAnswer: the message over the limit that is told
// to wait has that notice for its answer, recorded as given inline: a
// retry of it hears the notice again and counts no second notice, nothing
// more goes through the outbox for it, and a retry of a message answered
// before the limit gets its own answer without taking a token or the
// notice another message is owed.
func TestRateLimitNoticeIsTheAnswer(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, func(c *sms.Config) { c.RateBurst, c.RateRefill = 2, time.Minute })
	first := g.textSid("SMlimit0000000000000000000000001", phone(1), "查询")
	g.textSid("SMlimit0000000000000000000000002", phone(1), "查询")
	if again := g.textSid("SMlimit0000000000000000000000001", phone(1), "查询"); again != first {
		t.Fatalf("a retry over the limit: %q, want its answer %q", again, first)
	}
	const notice = "发得太频繁，请1分钟后再发。"
	if got := g.textSid("SMlimit0000000000000000000000003", phone(1), "查询"); got != notice {
		t.Fatalf("first message over the limit: %q, want the notice (a retry must not have taken it)", got)
	}
	if got := g.textSid("SMlimit0000000000000000000000003", phone(1), "查询"); got != notice {
		t.Fatalf("a retry of the noticed message: %q, want the notice again", got)
	}
	if got := g.textSid("SMlimit0000000000000000000000004", phone(1), "查询"); got != "" {
		t.Fatalf("the next message over the limit: %q, want silence", got)
	}
	prev, firstTime, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SMlimit0000000000000000000000003", From: phone(1), ReceivedAt: testNow})
	if err != nil || firstTime || prev.State != lifeline.InboundInline || prev.Reply != notice {
		t.Fatalf("the noticed message in the log: %+v, first=%v, %v; want answered inline with the notice", prev, firstTime, err)
	}
	prev, _, err = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SMlimit0000000000000000000000004", From: phone(1), ReceivedAt: testNow})
	if err != nil || prev.State != lifeline.InboundSilent {
		t.Fatalf("the silent message in the log: %+v, %v", prev, err)
	}
	if n, err := g.srv.AnswerOnce(ctx); err != nil || n != 0 {
		t.Fatalf("AnswerOnce = %d, %v: nothing over the limit is owed an answer", n, err)
	}
	if n, err := db.OutboxDepth(ctx); err != nil || n != 0 {
		t.Fatalf("outbox depth %d, %v: a limited message got a second answer", n, err)
	}
	_, _, metrics := get(t, g.ts.URL+"/metrics")
	for _, want := range []string{"lifeline_sms_rate_limited_total 2", "lifeline_sms_rate_limit_notices_total 1", `lifeline_sms_answers_total{path="inline"} 5`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
}

// slowStore holds every status lookup until release is closed (or the
// caller gives up).
type slowStore struct {
	*store.DB
	entered chan struct{}
	release chan struct{}
}

func (s *slowStore) StatusByPhone(ctx context.Context, p string) ([]*lifeline.Resident, error) {
	s.entered <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.DB.StatusByPhone(ctx, p)
}

// TestOverloadAnswersThroughTheOutbox: when every inline slot is busy, a
// message is not refused: it is accepted at once with an empty response,
// and its answer is queued in the outbox, once, under its MessageSid. A
// retry of it gets nothing more, and the per-number limit is asked only
// after the duplicate check.
func TestOverloadAnswersThroughTheOutbox(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	slow := &slowStore{DB: db, entered: make(chan struct{}, 10), release: make(chan struct{})}
	g := newGateway(t, db, func(c *sms.Config) {
		c.Store = slow
		c.MaxInFlight, c.MaxQueue = 2, -1
		c.InlineBudget = time.Minute
		c.RateBurst = 100
	})
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if got := g.textSid(fmt.Sprintf("SMheld%028d", i), phone(1), "查询"); !strings.Contains(got, "绿码") {
				t.Errorf("held request %d: %q", i, got)
			}
		}(i)
	}
	<-slow.entered
	<-slow.entered
	// Both slots are busy: the next message is accepted at once, empty.
	const sid = "SMqueued0000000000000000000000001"
	start := time.Now()
	if code, _, body := g.post("/sms", inbound(sid, phone(1), "查询"), true); code != 200 || replyText(t, body) != "" {
		t.Fatalf("over capacity: %d %q", code, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("accepting took %v", d)
	}
	if code, _, body := get(t, g.ts.URL+"/healthz"); code != 200 || !strings.Contains(body, "saturated") {
		t.Fatalf("healthz while saturated: %d %q", code, body)
	}
	close(slow.release)
	wg.Wait()
	ctx := context.Background()
	if n, err := g.srv.AnswerOnce(ctx); err != nil || n != 1 {
		t.Fatalf("AnswerOnce = %d, %v; want the one pending message", n, err)
	}
	answer := outboxAnswer(t, db, sid)
	if answer.To != phone(1) || !strings.Contains(answer.Body, "张*丰 绿码") || answer.Kind != lifeline.OutboxAnswer {
		t.Fatalf("the queued answer: %+v", answer)
	}
	// Answering again adds nothing: the message is no longer pending.
	if n, _ := g.srv.AnswerOnce(ctx); n != 0 {
		t.Fatalf("a second AnswerOnce claimed %d", n)
	}
	// A retry, even from a number over its limit, gets an empty response
	// and no second answer; the same sid from another number gets nothing.
	g2 := newGateway(t, db, func(c *sms.Config) { c.RateBurst, c.RateRefill = 1, time.Hour })
	g2.text(phone(1), "帮助") // uses the number's one token
	if got := g2.textSid(sid, phone(1), "查询"); got != "" {
		t.Fatalf("retry of a queued message: %q", got)
	}
	if got := g2.textSid(sid, phone(2), "查询"); got != "" {
		t.Fatalf("the sid from another number: %q", got)
	}
	if n, _ := db.OutboxDepth(ctx); n != 1 {
		t.Fatalf("outbox depth %d after retries; want the one answer", n)
	}
	_, _, m := get(t, g.ts.URL+"/metrics")
	for _, want := range []string{`lifeline_sms_requests_total{command="status",outcome="queued"} 1`, `lifeline_sms_answers_total{path="inline"} 2`,
		"lifeline_sms_answers_waiting 1", "lifeline_sms_shed_total 0", "lifeline_sms_outbox_depth 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	// A body past the limit is refused without being read whole.
	big := inbound("SMbig", phone(1), strings.Repeat("查", 20000))
	if code, _, _ := g.post("/sms", big, true); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge body: %d", code)
	}
}

// outboxAnswer reads the answer queued for a MessageSid, by queueing its
// key again (which adds nothing).
func outboxAnswer(t *testing.T, db *store.DB, sid string) lifeline.OutboxMessage {
	t.Helper()
	ctx := context.Background()
	probe := &lifeline.OutboxMessage{To: "+8613800000000", Body: "probe", Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey(sid)}
	if err := db.Enqueue(ctx, probe); err != nil {
		t.Fatal(err)
	}
	if !probe.CreatedAt.IsZero() {
		t.Fatalf("no answer was queued for %s", sid)
	}
	got, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "probe", Max: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if m.ID == probe.ID {
			return m
		}
	}
	t.Fatalf("the answer to %s is not queued", sid)
	return lifeline.OutboxMessage{}
}

// TestInlineBudget: an answer that takes longer than the budget goes
// through the outbox, and a paper-code request is carried out once,
// whichever path answers it.
func TestInlineBudget(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	slow := &slowStore{DB: db, entered: make(chan struct{}, 10), release: make(chan struct{})}
	g := newGateway(t, db, func(c *sms.Config) {
		c.Store = slow
		c.InlineBudget = 50 * time.Millisecond
	})
	for _, c := range []struct{ sid, body string }{{"SMbudget000000000000000000000001", "查询"}, {"SMbudget000000000000000000000002", "离线码"}} {
		if got := g.textSid(c.sid, phone(1), c.body); got != "" {
			t.Fatalf("%s: answered inline past the budget: %q", c.body, got)
		}
		<-slow.entered
	}
	close(slow.release)
	ctx := context.Background()
	// The paper-code request is held by its handler for a moment after
	// its budget; then the answerer takes it.
	deadline := time.Now().Add(10 * time.Second)
	for answered := 0; answered < 2; {
		n, err := g.srv.AnswerOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		answered += n
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 answered", answered)
		}
		if n == 0 {
			time.Sleep(50 * time.Millisecond) // waiting for the hold to run out
		}
	}
	if a := outboxAnswer(t, db, "SMbudget000000000000000000000002"); !strings.Contains(a.Body, "纸质码") {
		t.Fatalf("paper-code answer: %q", a.Body)
	}
	if q, _ := db.PrintQueue(ctx, ""); len(q) != 2 {
		t.Fatalf("%d print requests; want one each for the two people", len(q))
	}
}

func TestMetricsAndStatusCallback(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, nil)
	ctx := context.Background()
	m := &lifeline.OutboxMessage{To: phone(1), Body: "通知"}
	if err := db.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	claimed, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w", Max: 1, Lease: time.Minute})
	if len(claimed) != 1 {
		t.Fatal("nothing claimed")
	}
	if err := db.MarkAccepted(ctx, m.ID, "SMdelivered0000000000000000000001"); err != nil {
		t.Fatal(err)
	}
	code, _, _ := g.post("/sms/status", url.Values{"MessageSid": {"SMdelivered0000000000000000000001"}, "MessageStatus": {"delivered"}, "AccountSid": {testAccount}, "To": {phone(1)}}, true)
	if code != http.StatusNoContent {
		t.Fatalf("status callback: %d", code)
	}
	again := &lifeline.OutboxMessage{To: phone(1), Body: "x"}
	db.Enqueue(ctx, again) // a second message, still queued: depth 1
	g.text(phone(1), "查询")
	_, _, metrics := get(t, g.ts.URL+"/metrics")
	for _, want := range []string{
		`lifeline_sms_requests_total{command="status",outcome="ok"} 1`,
		`lifeline_sms_request_duration_seconds_count 1`,
		`lifeline_sms_request_duration_seconds_bucket{le="+Inf"} 1`,
		`lifeline_sms_status_callbacks_total 1`,
		`lifeline_sms_outbox_depth 1`,
		`# TYPE lifeline_sms_request_duration_seconds histogram`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
}

func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, res.Header, b.String()
}

// TestHealthzFollowsTheStore: without a spool, a gateway whose store is
// gone cannot accept a message: /healthz says 503, and so does the
// webhook, the one 5xx a signed message can get.
func TestHealthzFollowsTheStore(t *testing.T) {
	db := openStore(t)
	g := newGateway(t, db, nil)
	if code, _, body := get(t, g.ts.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	db.Close()
	if code, _, _ := get(t, g.ts.URL+"/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the store closed: %d", code)
	}
	if code, hdr, _ := g.post("/sms", inbound("SMnowhere", phone(1), "查询"), true); code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Fatalf("a message with nowhere to go: %d", code)
	}
}

// A MessageSid is remembered for KeepInbound (48 h by default), long past
// Twilio's retries, then forgotten so a surge's messages do not stay in
// the store for ever.
func TestOldMessageSidsAreForgotten(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	g := newGateway(t, db, nil)
	ctx := context.Background()
	first := g.textSid("SMprune00000000000000000000000001", phone(1), "查询")
	if n, err := g.srv.PruneOnce(ctx); err != nil || n != 0 {
		t.Fatalf("PruneOnce right away = %d, %v; want nothing forgotten", n, err)
	}
	g.clock.Add(47 * time.Hour)
	if _, err := db.RecordResult(ctx, lifeline.StatusUpdate{ResidentID: f.zhang.ID, Color: lifeline.Yellow, At: g.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if again := g.textSid("SMprune00000000000000000000000001", phone(1), "查询"); again != first {
		t.Fatalf("a retry 47 h later got %q, want the first reply %q", again, first)
	}
	g.clock.Add(2 * time.Hour)
	if n, err := g.srv.PruneOnce(ctx); err != nil || n != 1 {
		t.Fatalf("PruneOnce after 49 h = %d, %v; want the one message forgotten", n, err)
	}
	// Forgotten: the same sid now is a new message, answered afresh.
	if fresh := g.textSid("SMprune00000000000000000000000001", phone(1), "查询"); fresh == first || !strings.Contains(fresh, "黄码") {
		t.Fatalf("after it was forgotten the sid got %q, want a new answer with 黄码", fresh)
	}
}

// TestLeavePendingAnswersNothingLater: a gateway that leaves pending
// messages to another one composes no answer through the outbox, however
// long it runs; the other, started on the same store, answers them once.
func TestLeavePendingAnswersNothingLater(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	intake := newGateway(t, db, func(c *sms.Config) { c.InlineBudget, c.LeavePending = -1, true })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go intake.srv.Run(ctx)
	const sid = "SMleft00000000000000000000000001"
	if got := intake.textSid(sid, phone(1), "查询"); got != "" {
		t.Fatalf("answered inline: %q", got)
	}
	// The answerer, were it running, is woken by the message and answers
	// it at once; it looks anyway every second.
	time.Sleep(1500 * time.Millisecond)
	if b, err := db.AnswerBacklog(ctx); err != nil || b.Pending != 1 {
		t.Fatalf("backlog with the answerer left out: %+v, %v; want the message pending", b, err)
	}
	answerer := newGateway(t, db, nil)
	go answerer.srv.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := db.AnswerBacklog(ctx)
		if err == nil && b.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other gateway never answered: %+v, %v", b, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a := outboxAnswer(t, db, sid); a.To != phone(1) || !strings.Contains(a.Body, "绿码") {
		t.Fatalf("the answer queued: %+v", a)
	}
}

package sms_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// eachStore runs a test on a SQLite store and on PostgreSQL.
func eachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	open := func(t *testing.T, dsn string) {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	}
	t.Run("sqlite", func(t *testing.T) { open(t, filepath.Join(t.TempDir(), "lifeline.db")) })
	t.Run("postgres", func(t *testing.T) { open(t, pgtest.DSN(t)) })
}

// twimlVerb is any TwiML element, read back as XML with the attributes
// the voice line uses.
type twimlVerb struct {
	XMLName   xml.Name
	Voice     string `xml:"voice,attr"`
	Language  string `xml:"language,attr"`
	Input     string `xml:"input,attr"`
	NumDigits string `xml:"numDigits,attr"`
	Timeout   string `xml:"timeout,attr"`
	Action    string `xml:"action,attr"`
	Method    string `xml:"method,attr"`
	Length    string `xml:"length,attr"`
	Prosody   *struct {
		Rate string `xml:"rate,attr"`
		Text string `xml:",chardata"`
	} `xml:"prosody"`
	Text  string      `xml:",chardata"`
	Inner []twimlVerb `xml:",any"`
}

// callAnswer is a voice TwiML answer.
type callAnswer struct {
	raw   string
	verbs []twimlVerb
}

// names is the answer's verbs by name, Gather's own in brackets:
// "Gather[Say Say] Gather[Say] Say Hangup".
func (a callAnswer) names() string {
	var parts []string
	for _, v := range a.verbs {
		n := v.XMLName.Local
		if len(v.Inner) > 0 {
			var in []string
			for _, i := range v.Inner {
				in = append(in, i.XMLName.Local)
			}
			n += "[" + strings.Join(uniq(in), " ") + "]"
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, " ")
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// says is every sentence said, in order, Gathers included; gather is the
// first Gather's.
func (a callAnswer) says() []string { return saysOf(a.verbs) }

func saysOf(vs []twimlVerb) []string {
	var out []string
	for _, v := range vs {
		switch v.XMLName.Local {
		case "Say":
			out = append(out, v.Prosody.Text)
		case "Gather":
			out = append(out, saysOf(v.Inner)...)
		}
	}
	return out
}

func (a callAnswer) verb(name string) *twimlVerb {
	for i := range a.verbs {
		if a.verbs[i].XMLName.Local == name {
			return &a.verbs[i]
		}
	}
	return nil
}

// said reports whether the answer says each of want, in order.
func (a callAnswer) said(t *testing.T, want ...string) {
	t.Helper()
	all := strings.Join(a.says(), "|")
	rest := all
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("the call does not say %q (after what came before); it says:\n%s", w, strings.ReplaceAll(all, "|", "\n"))
		}
		rest = rest[i+len(w):]
	}
}

// speakable is what the speech engine must never be handed: stars of a
// masked name, dates written with a slash, numbers run together.
var unspeakable = regexp.MustCompile(`[*/]|[0-9]{2}`)

// checkSpeech checks every Say: the voice and language asked for, read
// slowly, short, and written for the speech engine.
func (a callAnswer) checkSpeech(t *testing.T, voice, lang string) {
	t.Helper()
	var check func(vs []twimlVerb)
	check = func(vs []twimlVerb) {
		for _, v := range vs {
			if v.XMLName.Local == "Gather" {
				check(v.Inner)
			}
			if v.XMLName.Local != "Say" {
				continue
			}
			if v.Voice != voice || v.Language != lang || v.Prosody == nil || v.Prosody.Rate == "" {
				t.Fatalf("a Say in voice %q language %q prosody %+v, want %s %s read slowly: %s", v.Voice, v.Language, v.Prosody, voice, lang, a.raw)
			}
			if s := v.Prosody.Text; unspeakable.MatchString(s) || len([]rune(s)) > 60 {
				t.Fatalf("a Say not written for the speech engine, or too long: %q", s)
			}
		}
	}
	check(a.verbs)
}

// checkMenu checks the answer ends in the menu: a Gather for one key
// posted back to /voice with the person, the menu again, a goodbye.
func (a callAnswer) checkMenu(t *testing.T, at int) {
	t.Helper()
	if got := a.names(); got != "Gather[Say] Gather[Say] Say Hangup" {
		t.Fatalf("the answer is %s, want a Gather, the menu again, a goodbye", got)
	}
	for _, g := range a.verbs[:2] {
		if g.Input != "dtmf" || g.NumDigits != "1" || g.Method != "POST" || g.Action != fmt.Sprintf("/voice?at=%d", at) || g.Timeout == "" {
			t.Fatalf("Gather %+v, want one key posted to /voice?at=%d", g, at)
		}
	}
}

// call posts one request of a call as Twilio does, signed, and reads the
// TwiML back.
func (g *gateway) call(path, from string, digits ...string) callAnswer {
	g.t.Helper()
	form := url.Values{
		"CallSid": {"CA0123456789abcdef0123456789abcdef"}, "AccountSid": {testAccount}, "From": {from}, "To": {"+12025550100"},
		"CallStatus": {"in-progress"}, "Direction": {"inbound"}, "ApiVersion": {"2010-04-01"}, "FromCountry": {"CN"},
	}
	if len(digits) > 0 {
		form.Set("Digits", digits[0])
	}
	code, h, x := g.post(path, form, true)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/xml") {
		g.t.Fatalf("POST %s: %d %s: %s", path, code, h.Get("Content-Type"), x)
	}
	var resp struct {
		XMLName xml.Name    `xml:"Response"`
		Verbs   []twimlVerb `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(x), &resp); err != nil {
		g.t.Fatalf("not TwiML: %v: %s", err, x)
	}
	return callAnswer{raw: x, verbs: resp.Verbs}
}

// TestVoiceMenu walks a known caller through every key of the menu on
// both stores: 张三丰 (phone 1) hears himself and his mother 李秀英.
func TestVoiceMenu(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		f := seedFamily(t, db)
		g := newGateway(t, db, nil)
		zh := func(a callAnswer) callAnswer { a.checkSpeech(t, sms.DefaultVoice, sms.DefaultVoiceLanguage); return a }

		a := zh(g.call("/voice", phone(1)))
		a.checkMenu(t, 0)
		a.said(t, "您好，这里是社区健康码语音服务。", "这部电话可以听到两位的健康状态。", "第一位。", "张先生，本人。", "健康码：绿码。",
			"最近一次核酸：四月九日采样，阴性。", "重听请按1。", "听下一位请按2。", "申请纸质码请按3。", "结束请按0。",
			"重听请按1。", "感谢来电，再见。")
		if strings.Contains(a.raw, "按9") {
			t.Fatal("the menu offers the office with no office number configured")
		}

		a = zh(g.call("/voice?at=0", phone(1), "1"))
		a.checkMenu(t, 0)
		a.said(t, "第一位。", "张先生，本人。", "健康码：绿码。")
		if strings.Contains(a.raw, "您好") {
			t.Fatal("key 1 greets again")
		}

		a = zh(g.call("/voice?at=0", phone(1), "2"))
		a.checkMenu(t, 1)
		a.said(t, "第二位。", "您的母亲，李女士。", "健康码：绿码。", "最近一次核酸：四月九日采样，阴性。")

		a = zh(g.call("/voice?at=1", phone(1), "2"))
		a.checkMenu(t, 0)
		a.said(t, "已经听完了，从第一位重新开始。", "第一位。", "张先生，本人。")

		a = zh(g.call("/voice?at=1", phone(1), "3"))
		a.checkMenu(t, 1)
		a.said(t, "已为您的母亲，李女士申请纸质码。", "请于四月十一日，星期一，上午九点到下午五点，到幸福社区办公室领取。", "重听请按1。")
		q, err := db.PrintQueue(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 || q[0].ResidentID != f.li.ID || q[0].Source != "voice" {
			t.Fatalf("print queue after key 3: %+v, want 李秀英's from the voice line", q)
		}

		a = zh(g.call("/voice?at=0", phone(1), "9"))
		a.checkMenu(t, 0)
		a.said(t, "社区办公室的电话还没有开通。", "请在工作日上午九点到下午五点，到社区办公室办理。")

		a = zh(g.call("/voice?at=0", phone(1), "0"))
		if a.names() != "Say Hangup" {
			t.Fatalf("key 0: %s, want a goodbye and the end", a.names())
		}
		a.said(t, "感谢来电，再见。")

		for _, key := range []string{"7", "#", ""} {
			a = zh(g.call("/voice?at=1", phone(1), key))
			a.checkMenu(t, 1)
			a.said(t, "这个按键没有对应的服务。", "重听请按1。")
		}
		// An action URL from another call, or made up: only ever one of
		// the caller's own people.
		a = zh(g.call("/voice?at=99", phone(1), "1"))
		a.checkMenu(t, 1)
		a.said(t, "您的母亲，李女士。")

		// Key 9 with the office's number configured: Dial.
		office := newGateway(t, db, func(c *sms.Config) {
			c.OfficePhones = sms.OfficePhones{"幸福": "+862988881234", "": "+861012345678"}
		})
		a = office.call("/voice", phone(1))
		a.said(t, "转社区办公室请按9。")
		a = office.call("/voice?at=0", phone(1), "9")
		if a.names() != "Say Dial Say Hangup" {
			t.Fatalf("key 9: %s, want Say Dial Say Hangup", a.names())
		}
		if d := a.verb("Dial"); strings.TrimSpace(d.Text) != "+862988881234" {
			t.Fatalf("key 9 dials %q, want 幸福's office", d.Text)
		}
		a.said(t, "正在为您转接社区办公室，请稍候。", "感谢来电，再见。")

		// The call log: who called (masked), who was heard, the CallSid.
		log, err := db.AuditLog(context.Background(), f.li.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		steps := map[string]bool{}
		for _, e := range log {
			if e.Action == "call" {
				if e.Actor != "voice:+86 138****0001" || !strings.HasSuffix(e.Detail, " CA0123456789abcdef0123456789abcdef") {
					t.Fatalf("call log entry %+v", e)
				}
				steps[strings.Fields(e.Detail)[0]] = true
			}
		}
		for _, s := range []string{"next", "code", "repeat"} {
			if !steps[s] {
				t.Fatalf("the call log of 李秀英 lacks %q: %v", s, steps)
			}
		}
		_, _, metrics := get(t, g.ts.URL+"/metrics")
		for _, want := range []string{`lifeline_voice_requests_total{step="greet"} 1`, `lifeline_voice_requests_total{step="invalid"} 3`} {
			if !strings.Contains(metrics, want) {
				t.Fatalf("metrics lack %s", want)
			}
		}
	})
}

// TestVoiceStrangerLearnsNothing: a number bound to no one hears one fixed
// message, whatever it presses and whichever person it asks for, and no
// key is gathered; a known caller hears a status.
func TestVoiceStrangerLearnsNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		f := seedFamily(t, db)
		g := newGateway(t, db, nil)
		first := g.call("/voice", phone(9))
		first.checkSpeech(t, sms.DefaultVoice, sms.DefaultVoiceLanguage)
		if first.names() != "Say Say Say Pause Say Say Say Hangup" {
			t.Fatalf("a stranger's call: %s", first.names())
		}
		first.said(t, "这个电话号码还没有登记。", "请带身份证到社区办公室登记电话")
		same := func(a callAnswer) bool {
			return a.names() == first.names() && strings.Join(a.says(), "|") == strings.Join(first.says(), "|")
		}
		for _, try := range []struct{ path, key string }{{"/voice?at=1", "1"}, {"/voice?at=0", "2"}, {"/voice", "3"}, {"/voice", "9"}, {"/voice?at=0", ""}} {
			if a := g.call(try.path, phone(9), try.key); !same(a) {
				t.Fatalf("a stranger pressing %q at %s heard something else:\n%s", try.key, try.path, a.raw)
			}
		}
		// Waiting for review is not yet a link: phone 2's father is not
		// read to it.
		if a := g.call("/voice", phone(2)); !same(a) {
			t.Fatalf("a pending link's phone heard:\n%s", a.raw)
		}
		known := g.call("/voice", phone(1))
		if same(known) || known.verb("Gather") == nil {
			t.Fatal("a known caller heard the stranger's message")
		}
		for _, r := range []*lifeline.Resident{f.zhang, f.li, f.wang} {
			for _, x := range []string{first.raw, known.raw} {
				if strings.Contains(x, r.Name) || strings.Contains(x, r.Doc.Number) {
					t.Fatalf("a call says %s's name or document", lifeline.MaskName(r.Name))
				}
			}
		}
		log, err := db.AuditLog(context.Background(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		strangers := 0
		for _, e := range log {
			if e.Action == "call" && strings.HasPrefix(e.Detail, "stranger ") && e.ResidentID == 0 {
				strangers++
			}
		}
		if strangers != 7 {
			t.Fatalf("%d stranger calls logged, want 7", strangers)
		}
	})
}

// TestVoiceSignatureChecked: /voice refuses what Twilio did not sign, as
// /sms does.
func TestVoiceSignatureChecked(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, nil)
	form := url.Values{"CallSid": {"CA1"}, "From": {phone(1)}}
	if code, _, _ := g.post("/voice", form, false); code != 403 {
		t.Fatalf("unsigned: %d, want 403", code)
	}
	// Signed for another person than the one posted.
	req := url.Values{"CallSid": {"CA1"}, "From": {phone(1)}, "Digits": {"2"}}
	sig := sms.Signature(testToken, g.public+"/voice?at=0", req)
	r, err := http.NewRequest("POST", g.ts.URL+"/voice?at=1", strings.NewReader(req.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", sig)
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if code := res.StatusCode; code != 403 {
		t.Fatalf("signature over another URL: %d, want 403", code)
	}
}

// TestVoiceSpeaksEnglishToAnEnglishTexter: a number whose last command was
// English hears English, in the English voice; who is said by relation,
// since an English voice cannot say a Chinese name.
func TestVoiceSpeaksEnglishToAnEnglishTexter(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g := newGateway(t, db, func(c *sms.Config) { c.Voice, c.VoiceEn = "Google.cmn-CN-Standard-A", "Polly.Amy" })
	g.text(phone(1), "STATUS")
	a := g.call("/voice", phone(1))
	a.checkSpeech(t, "Polly.Amy", "en-US")
	a.checkMenu(t, 0)
	a.said(t, "Hello, this is the community health code line.", "This phone can hear two people.", "Person one of two.", "You.",
		"Health code: a green code.", "Last test: sampled April 9, negative.", "To hear it again, press 1.", "For the next person, press 2.")
	a = g.call("/voice?at=0", phone(1), "2")
	a.said(t, "Person two of two.", "Your mother.")
	g.text(phone(1), "查询")
	g.call("/voice", phone(1)).checkSpeech(t, "Google.cmn-CN-Standard-A", "cmn-CN")
}

// TestVoiceSaysWhatToDoAndHowOld: a yellow code's advice is said, and a
// status the platform has not updated for a day says its date.
func TestVoiceSaysWhatToDoAndHowOld(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	now := db.Now
	db.Now = func() time.Time { return testNow } // the platform last heard from on 4/9
	setColor(t, db, f.zhang.ID, lifeline.Yellow)
	db.Now = now
	g := newGateway(t, db, nil)
	g.clock.Add(48 * time.Hour)
	a := g.call("/voice", phone(1))
	a.checkSpeech(t, sms.DefaultVoice, sms.DefaultVoiceLanguage)
	a.said(t, "张先生，本人。", "健康码：黄码。", "这是四月九日的信息，平台暂时没有更新。", "请尽快做核酸。")
}

// TestVoiceLandline: a landline bound at the desk calls and hears the
// household; the same landline as a stranger before the binding.
func TestVoiceLandline(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		f := seedFamily(t, db)
		g := newGateway(t, db, nil)
		const home = "+862988881234"
		if a := g.call("/voice", "029-8888 1234"); a.verb("Gather") != nil {
			t.Fatal("an unbound landline heard a status")
		}
		ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:wang"})
		if _, err := db.SetLandline(ctx, f.zhang.ID, home); err != nil {
			t.Fatal(err)
		}
		a := g.call("/voice", home)
		a.checkMenu(t, 0)
		a.said(t, "张先生，本人。", "健康码：绿码。")
	})
}

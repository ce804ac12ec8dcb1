package sms

import (
	"context"
	"flag"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/twilio/twilio-go/twiml"
)

// The voice line: Twilio takes a call on the gateway's number and asks
// POST /voice what to do, with the same signed form as a text (CallSid,
// From, and Digits once a key was pressed). The answer is TwiML: <Say> in
// Mandarin (English for a number that texted its last command in English),
// a <Gather> for one key, <Dial> to the community office. It lives beside
// the SMS gateway rather than in a package of its own because it is the
// same gateway to Twilio and to the store: one signature check, one
// admission limit, one status read and one wording of what a status means
// (status.go), one outbox for the texts a busy line promises.
//
// A call is cheap: one status read and one line in the audit log per
// request, nothing else written (a paper code, key 3, is what the caller
// asked for). The person a caller is on travels in the <Gather>'s action
// URL (/voice?at=1), which Twilio signs like the rest; any value only ever
// selects among the people the calling number may hear.

// VoicePath is the voice webhook's path.
const VoicePath = "/voice"

// Menu keys.
const (
	keyRepeat = "1"
	keyNext   = "2"
	keyCode   = "3"
	keyOffice = "9"
	keyEnd    = "0"
)

// Voice defaults: Mandarin and English voices Twilio offers (Amazon
// Polly), and how slowly they speak.
const (
	DefaultVoice           = "Polly.Zhiyu"
	DefaultVoiceLanguage   = "cmn-CN"
	DefaultVoiceEn         = "Polly.Joanna"
	DefaultVoiceLanguageEn = "en-US"
	speechRate             = "90%"
)

// call is one request of a call, as Twilio posts it.
type call struct {
	sid, from string
	// pressed is whether Digits was posted (a key answered a <Gather>),
	// digits what it holds.
	pressed bool
	digits  string
	// at is the person the caller was on (the action URL's at).
	at int
}

func readCall(r *http.Request) call {
	c := call{sid: r.PostForm.Get("CallSid")}
	c.from, _ = lifeline.NormalizePhone(r.PostForm.Get("From"))
	_, c.pressed = r.PostForm["Digits"]
	c.digits = r.PostForm.Get("Digits")
	if at, err := strconv.Atoi(r.URL.Query().Get("at")); err == nil {
		c.at = at
	}
	return c
}

// handleVoice answers POST /voice. Past the gateway's capacity it still
// answers, never with silence or an error a caller would hear as a
// recorded apology: the caller is told the line is busy and, from a
// mobile, gets the status by SMS (voiceBusy).
func (s *Server) handleVoice(w http.ResponseWriter, r *http.Request) {
	if !s.readSigned(w, r) {
		return
	}
	c := readCall(r)
	if c.sid == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !s.admit.acquire(r.Context().Done()) {
		s.writeVoice(w, s.voiceBusy(r.Context(), c), "busy")
		return
	}
	defer s.admit.release()
	ctx, cancel := context.WithTimeout(r.Context(), voiceTimeout)
	defer cancel()
	verbs, step := s.answerCall(ctx, c)
	s.writeVoice(w, verbs, step)
}

// answerCall works out what one request of a call hears, and names the
// step for the metrics and the call log.
func (s *Server) answerCall(ctx context.Context, c call) ([]twiml.Element, string) {
	l := lifeline.Zh
	if c.from != "" {
		if pl, err := s.cfg.Store.PhoneLang(ctx, c.from); err == nil {
			l = pl
		}
	}
	v := s.speaker(l)
	var people []*lifeline.Resident
	if c.from != "" {
		var err error
		if people, err = s.cfg.Store.StatusByPhone(ctx, c.from); err != nil {
			s.log.Error("voice: cannot read a caller's status", "from", lifeline.MaskPhone(c.from), "err", err)
			return v.hangUp(troubleSpeech(l)...), "error"
		}
	}
	if len(people) == 0 {
		if !s.logCall(ctx, c, "stranger", 0) {
			return v.hangUp(troubleSpeech(l)...), "error"
		}
		return v.stranger(), "stranger"
	}
	at := min(max(c.at, 0), len(people)-1)
	step := "greet"
	if c.pressed {
		step = map[string]string{keyRepeat: "repeat", keyNext: "next", keyCode: "code", keyOffice: "office", keyEnd: "end"}[c.digits]
		if step == "" {
			step = "invalid"
		}
	}
	if step == "next" {
		at = (at + 1) % len(people)
	}
	p := people[at]
	// Nothing is said of anyone until the call log holds who heard whom.
	if !s.logCall(ctx, c, step, p.ID) {
		return v.hangUp(troubleSpeech(l)...), "error"
	}
	who := spokenWho(people, l)
	office := s.officeFor(p.Address.Community)
	status := func() []twiml.Element {
		return v.say(statusSpeech(p, who[at], at+1, len(people), l, s.cfg.Now(), s.cfg.StaleAfter, s.cfg.Location, s.cfg.Advice)...)
	}
	switch step {
	case "greet":
		return v.menu(at, len(people), office != "", append(v.say(greetingSpeech(len(people), l)...), status()...)), step
	case "repeat":
		return v.menu(at, len(people), office != "", status()), step
	case "next":
		lead := status()
		if at == 0 {
			lead = append(v.say(wrappedSpeech(len(people), l)), lead...)
		}
		return v.menu(at, len(people), office != "", lead), step
	case "code":
		if err := s.cfg.Store.RequestPrint(ctx, &lifeline.PrintRequest{ResidentID: p.ID, Source: "voice", RequestedAt: s.cfg.Now()}); err != nil {
			s.log.Error("voice: cannot queue a paper code", "from", lifeline.MaskPhone(c.from), "err", err)
			return v.hangUp(troubleSpeech(l)...), "error"
		}
		s.log.Info("voice: paper code requested", "from", lifeline.MaskPhone(c.from))
		day := nextWorkingDay(s.cfg.Now(), s.cfg.Location)
		return v.menu(at, len(people), office != "", v.say(codeSpeech(who[at], lifeline.Printable(p.Address.Community), day, s.cfg.Location, l)...)), step
	case "office":
		if office == "" {
			return v.menu(at, len(people), false, v.say(noOfficeSpeech(l)...)), step
		}
		return append(v.say(dialingSpeech(l)), &twiml.VoiceDial{Number: office, Timeout: "30"}, v.sayOne(goodbyeSpeech(l)), &twiml.VoiceHangup{}), step
	case "end":
		return v.hangUp(goodbyeSpeech(l)), step
	}
	return v.menu(at, len(people), office != "", v.say(invalidKeySpeech(l))), step
}

// logCall writes one request of a call to the audit log: who called
// (masked), the step, the person heard, Twilio's CallSid. It reports
// whether the line was written.
func (s *Server) logCall(ctx context.Context, c call, step string, residentID int64) bool {
	err := s.cfg.Store.Audit(ctx, lifeline.AuditEntry{Actor: "voice:" + lifeline.MaskPhone(c.from), Action: "call",
		ResidentID: residentID, Detail: step + " " + c.sid})
	if err != nil {
		s.log.Error("voice: cannot write the call log", "from", lifeline.MaskPhone(c.from), "err", err)
	}
	return err == nil
}

// officeFor is the number key 9 dials for a community: its own, or the
// one for every community, or "" when none is configured.
func (s *Server) officeFor(community string) string {
	if p, ok := s.cfg.OfficePhones[community]; ok {
		return p
	}
	return s.cfg.OfficePhones[""]
}

// speaker writes TwiML in one language's voice.
type speaker struct {
	voice, lang string
	l           lifeline.Lang
}

func (s *Server) speaker(l lifeline.Lang) speaker {
	if l == lifeline.En {
		return speaker{voice: s.cfg.VoiceEn, lang: s.cfg.VoiceLanguageEn, l: l}
	}
	return speaker{voice: s.cfg.Voice, lang: s.cfg.VoiceLanguage, l: l}
}

// sayOne is one sentence, read slowly.
func (v speaker) sayOne(text string) twiml.Element {
	return &twiml.VoiceSay{Voice: v.voice, Language: v.lang, InnerElements: []twiml.Element{prosody{rate: speechRate, text: text}}}
}

// say is one <Say> a sentence.
func (v speaker) say(texts ...string) []twiml.Element {
	out := make([]twiml.Element, len(texts))
	for i, t := range texts {
		out[i] = v.sayOne(t)
	}
	return out
}

// hangUp says texts and ends the call.
func (v speaker) hangUp(texts ...string) []twiml.Element {
	return append(v.say(texts...), &twiml.VoiceHangup{})
}

// stranger is what a number bound to no one hears, whatever it presses:
// the same few sentences, twice, and the end of the call. No key is
// gathered: there is nothing to choose.
func (v speaker) stranger() []twiml.Element {
	once := v.say(strangerSpeech(v.l)...)
	out := append(once, &twiml.VoicePause{Length: "1"})
	return append(append(out, once[1:]...), v.sayOne(goodbyeSpeech(v.l)), &twiml.VoiceHangup{})
}

// menu plays lead, then the menu, inside a <Gather> for one key posted
// back with the person the caller is on; a caller who presses nothing
// hears the menu once more, then a goodbye.
func (v speaker) menu(at, people int, office bool, lead []twiml.Element) []twiml.Element {
	gather := func(inner []twiml.Element) *twiml.VoiceGather {
		return &twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Timeout: "8", Method: "POST",
			Action: VoicePath + "?at=" + strconv.Itoa(at), InnerElements: inner}
	}
	menu := v.say(menuSpeech(people, office, v.l)...)
	return []twiml.Element{gather(append(lead, menu...)), gather(menu), v.sayOne(goodbyeSpeech(v.l)), &twiml.VoiceHangup{}}
}

// prosody is SSML's <prosody> inside a <Say>: twilio-go's own writes the
// element with a capital letter, which SSML does not know.
type prosody struct{ rate, text string }

func (p prosody) GetName() string { return "prosody" }
func (p prosody) GetText() string { return p.text }
func (p prosody) GetAttr() (map[string]string, map[string]string) {
	return nil, map[string]string{"rate": p.rate}
}
func (p prosody) GetInnerElements() []twiml.Element { return nil }

// writeVoice answers with TwiML and counts the step.
func (s *Server) writeVoice(w http.ResponseWriter, verbs []twiml.Element, step string) {
	x, err := twiml.Voice(verbs)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header()["Content-Type"] = twimlContentType
	w.Write([]byte(x))
	s.metrics.voiceStep(step)
}

// voiceTimeout bounds the work for one request of a call: Twilio waits 15
// s for TwiML, and a caller hears "call again" sooner than dead air.
const voiceTimeout = 10 * time.Second

// OfficePhones are the numbers the voice line's key 9 dials, by
// community, "" for every community without its own. As a flag.Value it
// takes serve's --office-phone: COMMUNITY=PHONE, or PHONE alone.
type OfficePhones map[string]string

// String lists the numbers, for a flag's help.
func (o *OfficePhones) String() string {
	if o == nil || len(*o) == 0 {
		return ""
	}
	var parts []string
	for c, p := range *o {
		parts = append(parts, c+"="+p)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Set adds one office's number from COMMUNITY=PHONE or PHONE. The phone
// may be a landline or a mobile.
func (o *OfficePhones) Set(setting string) error {
	community, number, ok := strings.Cut(setting, "=")
	if !ok {
		community, number = "", setting
	}
	community = strings.TrimSpace(community)
	if _, bad := lifeline.UnprintableRune(community); bad {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("社区名中有控制字符", "the community's name holds a control character"))
	}
	phone, err := lifeline.NormalizePhone(number)
	if err != nil {
		return err
	}
	if *o == nil {
		*o = OfficePhones{}
	}
	(*o)[community] = phone
	return nil
}

// VoiceFlags adds serve's flags for what the gateway says: the advice of
// yellow and red codes (--advice) and the voice line's voices, office
// numbers and busy-line grace.
func (c *Config) VoiceFlags(fs *flag.FlagSet, l lifeline.Lang) {
	fs.Var(&c.Advice, "advice", l.Pick("黄码、红码回复里的建议，可重复：yellow=请尽快做核酸、red=…，英文回复用 yellow.en=…", "what yellow and red replies advise, repeatable: yellow=Get tested soon., red=…; yellow.en=… for English replies"))
	fs.StringVar(&c.Voice, "voice", DefaultVoice, l.Pick("语音热线的普通话语音（Twilio 提供的，如 Polly.Zhiyu、Google.cmn-CN-Standard-A）", "the voice line's Mandarin voice (one Twilio offers, such as Polly.Zhiyu or Google.cmn-CN-Standard-A)"))
	fs.StringVar(&c.VoiceLanguage, "voice-language", DefaultVoiceLanguage, l.Pick("该语音的语言代码", "that voice's language code"))
	fs.StringVar(&c.VoiceEn, "voice-en", DefaultVoiceEn, l.Pick("对用英文发短信的号码所用的英语语音", "the English voice, for numbers that text in English"))
	fs.Var(&c.OfficePhones, "office-phone", l.Pick("语音热线按 9 转接的社区办公室电话，可重复：社区=电话，或只写电话（其余社区都用它）", "the community office the voice line's key 9 puts callers through to, repeatable: COMMUNITY=PHONE, or PHONE alone for every other community"))
	fs.DurationVar(&c.CallbackGrace, "callback-grace", 15*time.Minute, l.Pick("线路繁忙时承诺的短信：多久内写不出健康状态就改发“请稍后再拨”", "the text a busy voice line promises: how long to try for the status before sending \"call again\" instead"))
}

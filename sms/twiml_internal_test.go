package sms

import (
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/twilio/twilio-go/twiml"
)

// twimlCases are replies the gateway writes plus everything a writer must
// escape or replace.
func twimlCases() []string {
	now := time.Date(2022, 4, 9, 10, 0, 0, 0, time.UTC)
	r := &lifeline.Resident{Name: "张三丰", Status: lifeline.Status{Color: lifeline.Green, UpdatedAt: now.Add(-48 * time.Hour),
		Latest: &lifeline.TestResult{SampledAt: now.Add(-2 * time.Hour), Result: lifeline.Negative}}}
	out := []string{"", "a", "a<b>&\"'\n\t\r c 张\x01", "\xff\xfe", "\uFFFD", "\uFFFE", "𝄞 ok", "x\x7f", "ok]]>"}
	for _, l := range []lifeline.Lang{lifeline.Zh, lifeline.En} {
		out = append(out, helpText(l), unknownText(l), stopText(l), startText(l), busyText(l), noMoreText(l),
			statusLine("张*丰", r, l, now, 24*time.Hour, time.UTC), moreText(l, 3, 2),
			codeText([]string{"张*丰", "李*"}, "幸福里社区", now, l))
	}
	return out
}

func checkTwiML(t *testing.T, reply string) {
	t.Helper()
	var verbs []twiml.Element
	if reply != "" {
		verbs = []twiml.Element{&twiml.MessagingMessage{Body: reply}}
	}
	want, err := twiml.Messages(verbs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := twimlMessage(reply)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("TwiML for %q:\n got %q\nwant %q", reply, got, want)
	}
}

func TestTwiMLMatchesTwilioWriter(t *testing.T) {
	for _, c := range twimlCases() {
		checkTwiML(t, c)
	}
}

func FuzzTwiML(f *testing.F) {
	for _, c := range twimlCases() {
		f.Add(c)
	}
	f.Fuzz(checkTwiML)
}

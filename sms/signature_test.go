package sms

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	twclient "github.com/twilio/twilio-go/client"
)

// Twilio's published example ("Validating Signatures from Twilio", the
// security page of Twilio's docs): auth token 12345, this URL and these
// parameters sign to 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
func TestSignatureTwilioDocsVector(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := Signature("12345", u, params); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("Signature = %s", got)
	}
	if !ValidSignature("12345", u, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") {
		t.Fatal("the published signature does not validate")
	}
}

// The vectors twilio-go's own request validator is tested with
// (client/request_validator_test.go), including the port rules: a
// signature made without a port is valid for the URL with one, and the
// wrong parameter order is not valid.
func TestSignatureTwilioGoVectors(t *testing.T) {
	params := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	cases := []struct {
		url, sig string
		ok       bool
	}{
		{u, "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{u, "WRONG SIGNATURE", false},
		{strings.Replace(u, ".com", ".com:1234", 1), "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{strings.Replace(u, "https", "http", 1), "n2xBNyzSW7rfYStDtOFiFMv7qNo=", true},
		{strings.Replace(strings.Replace(u, ".com", ".com:1234", 1), "https", "http", 1), "n2xBNyzSW7rfYStDtOFiFMv7qNo=", true},
		// ReasonConferenceEnded sorted before Reason
		{u, "95+Bu0JVPi0r/SsESZCVf0dWAjw=", false},
		{u, "", false},
	}
	for _, c := range cases {
		if got := ValidSignature("12345", c.url, params, c.sig); got != c.ok {
			t.Errorf("ValidSignature(%s, %s) = %v, want %v", c.url, c.sig, got, c.ok)
		}
	}
	if got := Signature("12345", u, params); got != "vOEb5UThFn24KEfnOFLQY2AE5FY=" {
		t.Fatalf("Signature = %s", got)
	}
}

// TestSignatureAgreesWithTwilioGo signs random requests and has twilio-go's
// RequestValidator, an implementation independent of this one, check them
// both ways: it accepts what Signature makes, and ValidSignature accepts
// only what matches.
func TestSignatureAgreesWithTwilioGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcXYZ019 +-_.&=?/%查询码😀")
	word := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := 0; i < 300; i++ {
		token := fmt.Sprintf("%032x", r.Uint64())
		u := "https://sms.example.org/sms"
		if i%3 == 0 {
			u = "http://127.0.0.1:8080/sms/status?x=" + url.QueryEscape(word(4))
		}
		params := url.Values{}
		flat := map[string]string{}
		for j := 0; j < 1+r.IntN(12); j++ {
			k, v := word(1+r.IntN(8)), word(r.IntN(20))
			params.Set(k, v)
			flat[k] = v
		}
		sig := Signature(token, u, params)
		v := twclient.NewRequestValidator(token)
		if !v.Validate(u, flat, sig) {
			t.Fatalf("twilio-go rejects our signature of %s %v", u, params)
		}
		if !v.ValidateBody(u, []byte(params.Encode()), sig) {
			t.Fatalf("twilio-go rejects our signature of the body %q", params.Encode())
		}
		if !ValidSignature(token, u, params, sig) {
			t.Fatal("ValidSignature rejects Signature")
		}
		// Any change to a value, the URL or the token breaks it.
		for k := range params {
			changed := url.Values{}
			for k2, v2 := range params {
				changed[k2] = append([]string(nil), v2...)
			}
			changed.Set(k, params.Get(k)+"x")
			if ValidSignature(token, u, changed, sig) {
				t.Fatalf("changed %q still validates", k)
			}
			break
		}
		if ValidSignature(token, u+"/", params, sig) || ValidSignature(token+"0", u, params, sig) {
			t.Fatal("another URL or token validates")
		}
	}
}

func TestRequestURL(t *testing.T) {
	pub, _ := url.Parse("https://sms.example.org:8443/ignored")
	if got := RequestURL(pub, "/sms?a=1&b=%20"); got != "https://sms.example.org:8443/sms?a=1&b=%20" {
		t.Fatalf("RequestURL = %s", got)
	}
}

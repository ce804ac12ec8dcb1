package sms

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestParsePostFormAgreesWithParseForm: the gateway's own reading of a
// form-encoded body gives what ParseForm gives (repeated names, escapes,
// empty values, a charset parameter), other bodies go to ParseForm, a body
// past the limit is refused as too large, and a malformed one is an error.
func TestParsePostFormAgreesWithParseForm(t *testing.T) {
	bodies := []string{
		"MessageSid=SM1&From=%2B8613800000001&Body=%E6%9F%A5%E8%AF%A2&NumSegments=1",
		"a=1&a=2&b=&c=x+y&d=%26%3D",
		"",
		"x",
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "Application/X-WWW-Form-Urlencoded"} {
		for _, body := range bodies {
			want := httptest.NewRequest("POST", "/sms?q=1", strings.NewReader(body))
			want.Header.Set("Content-Type", ct)
			if err := want.ParseForm(); err != nil {
				t.Fatal(err)
			}
			got := httptest.NewRequest("POST", "/sms?q=1", strings.NewReader(body))
			got.Header.Set("Content-Type", ct)
			if err := parsePostForm(got); err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			if !reflect.DeepEqual(got.PostForm, want.PostForm) {
				t.Errorf("%s %q: got %v, want %v", ct, body, got.PostForm, want.PostForm)
			}
		}
	}
	// Not form-encoded: ParseForm's answer (no form values from the body).
	r := httptest.NewRequest("POST", "/sms", strings.NewReader(`{"MessageSid":"SM1"}`))
	r.Header.Set("Content-Type", "application/json")
	if err := parsePostForm(r); err != nil || len(r.PostForm) != 0 {
		t.Errorf("a JSON body: %v, %v", r.PostForm, err)
	}
	for _, ct := range []string{"application/x-www-form-urlencodedX", "text/plain"} {
		if formEncoded(ct) {
			t.Errorf("%q taken for a form", ct)
		}
	}
	// Past the limit, announced or not.
	for _, cl := range []int64{2000, -1} {
		w := httptest.NewRecorder()
		r = httptest.NewRequest("POST", "/sms", strings.NewReader("a="+strings.Repeat("x", 1998)))
		r.ContentLength = cl
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
		var tooBig *http.MaxBytesError
		if err := parsePostForm(r); !errors.As(err, &tooBig) {
			t.Errorf("Content-Length %d, 2000 bytes over a 1 KiB limit: %v", cl, err)
		}
	}
	// Malformed escapes are an error, as with ParseForm.
	r = httptest.NewRequest("POST", "/sms", strings.NewReader("a=%zz"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := parsePostForm(r); err == nil {
		t.Error("a=%zz parsed")
	}
}

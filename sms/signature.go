package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/url"
	"sort"
	"strings"
)

// Signature computes X-Twilio-Signature as Twilio specifies it: take the
// full URL Twilio requested (with its query string), append every POST
// parameter as name followed by value with no delimiters, names sorted
// byte-wise (a repeated name contributes its values in sorted order), sign
// that string with HMAC-SHA1 keyed by the auth token, and base64 the result.
func Signature(token, fullURL string, params url.Values) string {
	return sign(token, fullURL, paramString(params))
}

// paramString is the POST parameters as Twilio signs them: each name
// followed by its value, names sorted byte-wise, a repeated name's values
// in sorted order.
func paramString(params url.Values) []byte {
	keys := make([]string, 0, len(params))
	n := 0
	for k, vs := range params {
		keys = append(keys, k)
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	sort.Strings(keys)
	b := make([]byte, 0, n)
	for _, k := range keys {
		vs := params[k]
		if len(vs) > 1 {
			vs = append([]string(nil), vs...)
			sort.Strings(vs)
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, v...)
		}
	}
	return b
}

// sign is the signature of fullURL followed by the parameter string.
func sign(token, fullURL string, params []byte) string {
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(fullURL))
	mac.Write(params)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether sig signs the request. Twilio's own
// libraries accept a signature made over the URL either with or without
// an explicit port (Twilio's signers have differed on this), and so does
// this check. Each comparison is constant-time; the other forms of the URL
// are tried only when the URL as given does not match (which of them
// matched is no secret: they are all public).
func ValidSignature(token, fullURL string, params url.Values, sig string) bool {
	if sig == "" || token == "" {
		return false
	}
	ps := paramString(params)
	if hmac.Equal([]byte(sign(token, fullURL, ps)), []byte(sig)) {
		return true
	}
	for _, u := range urlVariants(fullURL)[1:] {
		if hmac.Equal([]byte(sign(token, u, ps)), []byte(sig)) {
			return true
		}
	}
	return false
}

// urlVariants returns the URL as given, with the default port made
// explicit and with any port removed.
func urlVariants(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return out
	}
	host, port := u.Hostname(), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		p := "80"
		if u.Scheme == "https" {
			p = "443"
		}
		v := *u
		v.Host = net.JoinHostPort(u.Hostname(), p)
		out = append(out, v.String())
	} else {
		v := *u
		v.Host = host
		out = append(out, v.String())
	}
	return out
}

// RequestURL is the URL Twilio called: scheme, host and port from the
// public URL (a proxy may sit in front of the gateway), path and query from
// the request as it arrived.
func RequestURL(public *url.URL, requestURI string) string {
	return public.Scheme + "://" + public.Host + requestURI
}

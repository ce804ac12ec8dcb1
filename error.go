package lifeline

import (
	"errors"
	"fmt"
)

// Application error codes. Callers compare codes (ErrorCode), never message
// strings; a person reads the Message. The results API is the one place
// they become HTTP statuses (upstream/results.go, writeStoreError); the SMS
// gateway does not look at them, and the command exits with status 1
// whatever the code.
const (
	ECONFLICT     = "conflict"     // the action conflicts with stored state
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // bad input
	ENOTFOUND     = "not_found"    // no such thing
	EUNAUTHORIZED = "unauthorized" // not logged in, bad password
	EFORBIDDEN    = "forbidden"    // logged in, but not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency is down or overloaded; retry later
	ELOCKED       = "locked"       // too many failed attempts; wait
)

// Error is the one application error type. Message is what a person reads,
// in both languages; Err, if set, is the underlying cause for logs.
type Error struct {
	Code    string
	Message Text
	Err     error
}

// Error implements the error interface with the English message and cause,
// which is what goes to logs.
func (e *Error) Error() string {
	msg := e.Message.En
	if msg == "" {
		msg = e.Message.Zh
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an application error with a message in both languages.
func Errorf(code string, msg Text) *Error { return &Error{Code: code, Message: msg} }

// Wrapf builds an application error around a cause.
func Wrapf(code string, err error, msg Text) *Error {
	return &Error{Code: code, Message: msg, Err: err}
}

// ErrorCode returns the code of the first application error in err's chain,
// EINTERNAL for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the one sentence a person should read for err, in
// their language. Errors that are not application errors become a generic
// "internal error" sentence: details stay in the logs.
func ErrorMessage(err error, l Lang) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && (e.Message.Zh != "" || e.Message.En != "") {
		if l == En && e.Message.En != "" {
			return e.Message.En
		}
		if e.Message.Zh != "" {
			return e.Message.In(l)
		}
		return e.Message.En
	}
	return l.Pick("内部错误，请稍后重试或联系管理员。", "Internal error; please try again later or contact an administrator.")
}

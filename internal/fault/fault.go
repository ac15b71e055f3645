// Package fault is Roster's one domain error type. Feature packages return
// *fault.Error values (wrapped with context as they travel up); the HTTP face
// maps them to problem+json in exactly one place.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller: it decides the HTTP status.
type Kind string

// The kinds an operation can fail with.
const (
	KindInvalid      Kind = "invalid"      // the input is wrong; the caller must change it
	KindNotFound     Kind = "not_found"    // the resource does not exist in the caller's workspace
	KindConflict     Kind = "conflict"     // the input clashes with existing state (duplicate email, ...)
	KindUnauthorized Kind = "unauthorized" // no or bad credentials
	KindForbidden    Kind = "forbidden"    // credentials lack a scope
	KindRateLimited  Kind = "rate_limited" // too many requests
	KindInternal     Kind = "internal"     // our bug or an outage; details are logged, not shown
)

// FieldError names one offending input field. Field is a JSON name path
// relative to the request ("email", "customAttributes.department").
type FieldError struct {
	Field   string
	Message string
}

// Error is a classified error with a safe, human-readable message.
type Error struct {
	Kind    Kind
	Code    string // machine-readable, stable: "email_taken", "validation_failed"
	Message string // safe to show to the API caller
	Fields  []FieldError
	Err     error // underlying cause, logged but never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf reports the kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return KindInternal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}

// Invalid reports a single bad field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: KindInvalid, Code: "validation_failed", Message: "Validation failed",
		Fields: []FieldError{{Field: field, Message: msg}}}
}

// NotFound reports a missing resource, e.g. NotFound("user").
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

// Conflict reports a clash with existing state on one field.
func Conflict(code, field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	e := &Error{Kind: KindConflict, Code: code, Message: msg}
	if field != "" {
		e.Fields = []FieldError{{Field: field, Message: msg}}
	}
	return e
}

// Forbidden reports a missing scope.
func Forbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Code: "insufficient_scope", Message: fmt.Sprintf(format, args...)}
}

// Unauthorized reports missing or bad credentials.
func Unauthorized(msg string) *Error {
	return &Error{Kind: KindUnauthorized, Code: "unauthorized", Message: msg}
}

// Fields collects several field errors into one invalid-input error. It
// returns nil when nothing was added, so callers can write
// `if err := v.Err(); err != nil`.
type Fields struct{ list []FieldError }

// Add records a problem with field.
func (f *Fields) Add(field, format string, args ...any) {
	f.list = append(f.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has a problem recorded.
func (f *Fields) Has(field string) bool {
	for _, fe := range f.list {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// Err returns the collected problems as one *Error, or nil.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: "validation_failed", Message: "Validation failed", Fields: f.list}
}

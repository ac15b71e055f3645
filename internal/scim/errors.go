package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
)

// SCIM error types (RFC 7644 §3.12).
const (
	errInvalidFilter = "invalidFilter"
	errTooMany       = "tooMany"
	errUniqueness    = "uniqueness"
	errMutability    = "mutability"
	errInvalidSyntax = "invalidSyntax"
	errInvalidPath   = "invalidPath"
	errNoTarget      = "noTarget"
	errInvalidValue  = "invalidValue"
)

// Error is a SCIM error response. Status is a string, as RFC 7644 writes it.
type Error struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	status   int
}

func (e *Error) Error() string { return e.Status + " " + e.ScimType + ": " + e.Detail }

func newError(status int, scimType, format string, args ...any) *Error {
	return &Error{Schemas: []string{urnError}, Status: strconv.Itoa(status), ScimType: scimType,
		Detail: fmt.Sprintf(format, args...), status: status}
}

func badRequest(scimType, format string, args ...any) *Error {
	return newError(http.StatusBadRequest, scimType, format, args...)
}

func notFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, "", format, args...)
}

// userFields and groupFields rename Roster's field names in domain errors
// to the SCIM attributes they came from.
var (
	userFields = map[string]string{
		"email": "userName", "name": "name.formatted", "occupation": "title", "language": "preferredLanguage",
	}
	groupFields = map[string]string{"name": "displayName", "users": "members"}
)

func fieldName(names map[string]string, f string) string {
	if n, ok := names[f]; ok {
		return n
	}
	if k, ok := strings.CutPrefix(f, "customAttributes."); ok {
		return URNEnterprise + ":" + k
	}
	if strings.HasPrefix(f, "users[") {
		return "members"
	}
	return f
}

// toError turns any error into a SCIM error. Domain errors keep their
// message; unknown ones become a logged 500.
func (s *Server) toError(ctx context.Context, err error, names map[string]string) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	fe, ok := fault.As(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return newError(http.StatusServiceUnavailable, "", "the request was cancelled or timed out")
		}
		s.log.ErrorContext(ctx, "scim internal error", "err", err.Error())
		return newError(http.StatusInternalServerError, "", "an internal error occurred; it has been logged")
	}
	switch fe.Kind {
	case fault.KindInvalid:
		parts := make([]string, 0, len(fe.Fields))
		for _, f := range fe.Fields {
			parts = append(parts, fieldName(names, f.Field)+": "+f.Message)
		}
		sort.Strings(parts)
		detail := fe.Message
		if len(parts) > 0 {
			detail = strings.Join(parts, "; ")
		}
		return badRequest(errInvalidValue, "%s", detail)
	case fault.KindConflict:
		return newError(http.StatusConflict, errUniqueness, "%s", fe.Message)
	case fault.KindNotFound:
		return notFound("%s", fe.Message)
	case fault.KindUnauthorized:
		return newError(http.StatusUnauthorized, "", "%s", fe.Message)
	case fault.KindForbidden:
		return newError(http.StatusForbidden, "", "%s", fe.Message)
	case fault.KindRateLimited:
		return newError(http.StatusTooManyRequests, "", "%s", fe.Message)
	}
	s.log.ErrorContext(ctx, "scim internal error", "err", err.Error())
	return newError(http.StatusInternalServerError, "", "an internal error occurred; it has been logged")
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.status == http.StatusUnauthorized {
		// The realm every face of Roster names, so a client sees one.
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
	}
	writeJSON(w, e.status, e)
}

// writeJSON answers with a SCIM document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // our own documents always encode
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

const mediaType = "application/scim+json"

// Errors converts the problem+json answers that Roster's shared middleware
// gives before a request reaches this face (bad key 401, 429, idempotency
// refusals) into SCIM errors for paths under prefix, keeping status and
// headers (Retry-After, rate-limit fields, WWW-Authenticate). Everything
// else passes untouched.
func Errors(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != prefix && !strings.HasPrefix(r.URL.Path, prefix+"/") {
			next.ServeHTTP(w, r)
			return
		}
		if wantsPlainJSON(r) {
			w = &plainJSONWriter{ResponseWriter: w}
		}
		cw := &problemCatcher{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		if !cw.caught {
			return
		}
		var p struct {
			Detail  string `json:"detail"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(cw.body.Bytes(), &p)
		detail := p.Detail
		if detail == "" {
			detail = p.Message
		}
		w.Header().Del("Content-Length")
		writeJSON(w, cw.status, newError(cw.status, "", "%s", detail))
	})
}

// problemCatcher holds back a problem+json response so Errors can rewrite
// it; any other response goes straight through.
type problemCatcher struct {
	http.ResponseWriter
	caught  bool
	decided bool
	status  int
	body    bytes.Buffer
}

func (c *problemCatcher) WriteHeader(status int) {
	if !c.decided {
		c.decided = true
		if strings.HasPrefix(c.Header().Get("Content-Type"), "application/problem+json") {
			c.caught, c.status = true, status
			return
		}
	}
	if !c.caught {
		c.ResponseWriter.WriteHeader(status)
	}
}

func (c *problemCatcher) Write(b []byte) (int, error) {
	if !c.decided {
		c.WriteHeader(http.StatusOK)
	}
	if c.caught {
		return c.body.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *problemCatcher) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// wantsPlainJSON reports a client that accepts application/json but not
// application/scim+json (RFC 7644 §3.1 allows either); it is answered in
// the type it asked for.
func wantsPlainJSON(r *http.Request) bool {
	accept := strings.ToLower(r.Header.Get("Accept"))
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, mediaType)
}

// plainJSONWriter relabels SCIM documents as application/json.
type plainJSONWriter struct {
	http.ResponseWriter
	relabelled bool
}

func (w *plainJSONWriter) WriteHeader(status int) {
	if !w.relabelled {
		w.relabelled = true
		if strings.HasPrefix(w.Header().Get("Content-Type"), mediaType) {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *plainJSONWriter) Write(b []byte) (int, error) {
	if !w.relabelled {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Package api is Roster's HTTP face: routing, authentication, rate limits,
// idempotency and error mapping around the operations in the registry. It
// holds no business logic and no SQL.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Problem is an RFC 9457 problem document. Besides the standard members it
// carries Konstantly's `message` and `errors` (field → messages), a
// machine-readable `code`, and `invalidParams` with JSON pointers.
type Problem struct {
	Type          string              `json:"type" doc:"URI identifying the problem type"`
	Title         string              `json:"title" doc:"Short summary of the problem type"`
	Status        int                 `json:"status" doc:"HTTP status code"`
	Detail        string              `json:"detail,omitempty" doc:"Explanation of this occurrence"`
	Instance      string              `json:"instance,omitempty" doc:"Request id of this occurrence"`
	Code          string              `json:"code,omitempty" doc:"Machine-readable problem code, e.g. email_taken"`
	Message       string              `json:"message" doc:"Human-readable message (Konstantly compatible)"`
	Errors        map[string][]string `json:"errors,omitempty" doc:"Messages by offending field (Konstantly compatible)"`
	InvalidParams []InvalidParam      `json:"invalidParams,omitempty" doc:"Offending fields with JSON pointers"`
	Attributes    []string            `json:"attributes,omitempty" doc:"Offending fields (Chatwoot compatible; Chatwoot-style faces only)"`

	headers http.Header // sent with the problem, e.g. Retry-After
}

// InvalidParam names one offending input field.
type InvalidParam struct {
	Name    string `json:"name"`
	Reason  string `json:"reason"`
	Pointer string `json:"pointer,omitempty"`
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders makes huma send the problem's headers with it.
func (p *Problem) GetHeaders() http.Header { return p.headers }

// ContentType makes huma answer with application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

func (p *Problem) addField(field, msg string) {
	if p.Errors == nil {
		p.Errors = map[string][]string{}
	}
	p.Errors[field] = append(p.Errors[field], msg)
	p.InvalidParams = append(p.InvalidParams, InvalidParam{Name: field, Reason: msg, Pointer: "/" + strings.ReplaceAll(field, ".", "/")})
}

func newProblem(status int, code, detail string) *Problem {
	if code == "" {
		code = strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
	}
	return &Problem{
		Type:    "urn:roster:problem:" + code,
		Title:   http.StatusText(status),
		Status:  status,
		Detail:  detail,
		Code:    code,
		Message: detail,
	}
}

var installHumaErrors sync.Once

// useProblemErrors makes huma build its own errors (validation, bad JSON) as
// *Problem, naming fields the way our domain errors do.
func useProblemErrors() {
	installHumaErrors.Do(func() {
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			code := ""
			if status == http.StatusUnprocessableEntity {
				code = "validation_failed"
			}
			p := newProblem(status, code, msg)
			if msg == "validation failed" {
				p.Message = "Validation failed"
			}
			for _, e := range errs {
				if e == nil {
					continue
				}
				var d huma.ErrorDetailer
				if errors.As(e, &d) {
					det := d.ErrorDetail()
					field := fieldOfDetail(det.Location, det.Message)
					p.addField(field, explainOneOf(field, det.Message))
				} else {
					p.addField("body", e.Error())
				}
			}
			if len(p.InvalidParams) > 0 {
				p.Detail = summarize(p)
			}
			return p
		}
		huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
			se := huma.NewError(status, msg, errs...)
			if p, ok := se.(*Problem); ok {
				p.Instance = requestIDFrom(ctx.Context())
				if chatwootFace(ctx.URL().Path) {
					chatwootStyle(p)
				}
			}
			return se
		}
	})
}

// idField matches the names of integer-id fields (groupId, parentId,
// groups[0], courses[2], …), whose schema is "an integer or its text".
var idField = regexp.MustCompile(`(^|\.)(\w*Id|id|groups|courses)(\[\d+\])?$`)

// explainOneOf replaces huma's "expected value to match exactly one schema"
// — true, but no help to the caller — with what the field takes.
func explainOneOf(field, msg string) string {
	if msg != validation.MsgExpectedMatchExactlyOneSchema {
		return msg
	}
	if idField.MatchString(field) {
		return `must be a positive integer id, as a number or as text (2 or "2")`
	}
	return "has none of the accepted forms; see this field's schema in /openapi.json"
}

var missingProperty = regexp.MustCompile(`^expected required property (\S+) to be present`)

// fieldOfDetail names the field a huma validation error is about. A missing
// property is reported on its parent object; name the property itself.
func fieldOfDetail(loc, msg string) string {
	field := fieldOfLocation(loc)
	if m := missingProperty.FindStringSubmatch(msg); m != nil {
		if field == "body" || field == "" {
			return m[1]
		}
		return field + "." + m[1]
	}
	return field
}

// fieldOfLocation turns huma's "body.email" / "query.limit" into "email" /
// "limit".
func fieldOfLocation(loc string) string {
	for _, prefix := range []string{"body.", "path.", "query.", "header."} {
		if rest, ok := strings.CutPrefix(loc, prefix); ok {
			return rest
		}
	}
	return loc
}

func summarize(p *Problem) string {
	parts := make([]string, 0, len(p.InvalidParams))
	for _, ip := range p.InvalidParams {
		parts = append(parts, ip.Name+": "+ip.Reason)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

var statusOfKind = map[fault.Kind]int{
	fault.KindInvalid:      http.StatusUnprocessableEntity,
	fault.KindNotFound:     http.StatusNotFound,
	fault.KindConflict:     http.StatusConflict,
	fault.KindUnauthorized: http.StatusUnauthorized,
	fault.KindForbidden:    http.StatusForbidden,
	fault.KindRateLimited:  http.StatusTooManyRequests,
}

// errorMapper is the one place where a domain error becomes an HTTP error.
// Unknown errors become a generic 500 and are logged in full only here.
type errorMapper struct{ log *slog.Logger }

func (m errorMapper) toProblem(ctx context.Context, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	fe, ok := fault.As(err)
	status, known := statusOfKind[fault.KindOf(err)]
	if !ok || !known {
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			p = newProblem(http.StatusServiceUnavailable, "request_cancelled", "The request was cancelled or timed out before it finished.")
		case db.IsUnstorableText(err):
			p = newProblem(http.StatusUnprocessableEntity, "invalid_text", "Text may not contain NUL characters or invalid UTF-8.")
		case db.IsUnavailable(err):
			// A retryable condition, not a bug: say so, so that clients and
			// no-code tools retry instead of giving up.
			m.log.WarnContext(ctx, "database unavailable", "err", err.Error(), "request_id", requestIDFrom(ctx))
			p = newProblem(http.StatusServiceUnavailable, "database_unavailable", "The database is unavailable for the moment. Retry the request; send writes with an Idempotency-Key so that a retry cannot apply twice.")
			p.headers = http.Header{"Retry-After": {"1"}}
		default:
			m.log.ErrorContext(ctx, "internal error", "err", err.Error(), "request_id", requestIDFrom(ctx))
			p = newProblem(http.StatusInternalServerError, "internal_error", "An internal error occurred; it has been logged with this request's id.")
		}
		p.Instance = requestIDFrom(ctx)
		return p
	}
	p = newProblem(status, fe.Code, fe.Message)
	for _, f := range fe.Fields {
		p.addField(f.Field, f.Message)
	}
	if len(fe.Fields) > 0 && fe.Kind == fault.KindInvalid {
		p.Detail = summarize(p)
	}
	p.Instance = requestIDFrom(ctx)
	if info := infoFrom(ctx); info != nil && chatwootFace(info.path) {
		chatwootStyle(p)
	}
	return p
}

func (m errorMapper) mapErr(ctx context.Context, err error) error { return m.toProblem(ctx, err) }

// writeProblem answers a request with p outside huma (middleware, 404s).
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Instance == "" {
		p.Instance = requestIDFrom(r.Context())
	}
	body, _ := json.Marshal(p)
	for k, v := range p.headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

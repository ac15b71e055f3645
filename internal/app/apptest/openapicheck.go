package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/rosterhq/roster/internal/directory"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The end-to-end tests check every response they receive against the
// server's own OpenAPI document with an independent JSON Schema validator
// (not huma's, which generated the document): a client generated from the
// document must be able to read every body the server sends. A mismatch
// fails the test that received the response.

// docResource names the document inside the validator.
const docResource = "roster-openapi.json"

// docChecker validates responses against one OpenAPI document.
type docChecker struct {
	compiler *jsonschema.Compiler
	routes   []docRoute

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema // by JSON pointer
}

// docRoute is one documented operation.
type docRoute struct {
	method    string
	path      string   // as documented, e.g. /api/v1/users/{id}
	segments  []string // path split on "/"
	literals  int      // segments that are not parameters: the more, the better the match
	responses map[string]docResponse
}

// docResponse is one documented status: its media types, none for an
// empty body.
type docResponse struct {
	contentTypes map[string]bool
}

// newDocChecker reads an OpenAPI 3.1 document.
func newDocChecker(doc []byte) (*docChecker, error) {
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("parse the OpenAPI document: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1's dialect
	c.AssertFormat()                     // an "email" or "date-time" must be one
	// "email" is what Roster accepts (internationalised domains included),
	// not the validator's ASCII-only reading.
	c.RegisterFormat(&jsonschema.Format{Name: "email", Validate: func(v any) error {
		if s, ok := v.(string); ok && !directory.ValidEmail(s) {
			return fmt.Errorf("%q is not an email address Roster accepts", s)
		}
		return nil
	}})
	if err := c.AddResource(docResource, parsed); err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	var shape struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &shape); err != nil {
		return nil, fmt.Errorf("read the OpenAPI paths: %w", err)
	}
	dc := &docChecker{compiler: c, schemas: map[string]*jsonschema.Schema{}}
	for path, item := range shape.Paths {
		for method, operation := range item {
			r := docRoute{method: strings.ToUpper(method), path: path, segments: strings.Split(path, "/"), responses: map[string]docResponse{}}
			if r.method == "PARAMETERS" || len(operation.Responses) == 0 {
				continue
			}
			for _, s := range r.segments {
				if !strings.HasPrefix(s, "{") {
					r.literals++
				}
			}
			for status, resp := range operation.Responses {
				dr := docResponse{contentTypes: map[string]bool{}}
				for ct := range resp.Content {
					dr.contentTypes[ct] = true
				}
				r.responses[status] = dr
			}
			dc.routes = append(dc.routes, r)
		}
	}
	// The most literal route first: /users/bulk before /users/{id}.
	sort.Slice(dc.routes, func(i, j int) bool { return dc.routes[i].literals > dc.routes[j].literals })
	return dc, nil
}

// route finds the documented operation of a request, nil for routes the
// document does not describe (SCIM, /openapi.json, /docs, unknown paths).
func (dc *docChecker) route(method, path string) *docRoute {
	path = strings.TrimRight(path, "/")
	if rest, ok := strings.CutPrefix(path, "/openapi/v1"); ok { // Konstantly's alias of /api/v1
		path = "/api/v1" + rest
	}
	segs := strings.Split(path, "/")
	for i := range dc.routes {
		r := &dc.routes[i]
		if r.method != method || len(r.segments) != len(segs) {
			continue
		}
		match := true
		for k, s := range r.segments {
			if s != segs[k] && !(strings.HasPrefix(s, "{") && segs[k] != "") {
				match = false
				break
			}
		}
		if match {
			return r
		}
	}
	return nil
}

// check validates one response; nil when it matches or is not documented.
func (dc *docChecker) check(method, path string, status int, contentType string, body []byte) error {
	if method == http.MethodHead {
		return nil
	}
	r := dc.route(method, path)
	if r == nil {
		return nil
	}
	key := strconv.Itoa(status)
	resp, ok := r.responses[key]
	if !ok {
		key = "default"
		if resp, ok = r.responses[key]; !ok {
			return fmt.Errorf("status %d is not documented for %s %s", status, method, r.path)
		}
	}
	if len(resp.contentTypes) == 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			return fmt.Errorf("%s %s answered %d with a body, documented without one", method, r.path, status)
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if !resp.contentTypes[mt] {
		return fmt.Errorf("%s %s answered %d as %q, documented as %v", method, r.path, status, mt, keys(resp.contentTypes))
	}
	if !strings.HasSuffix(mt, "json") {
		return nil
	}
	sch, err := dc.schema("/paths/" + escape(r.path) + "/" + strings.ToLower(method) + "/responses/" + key + "/content/" + escape(mt) + "/schema")
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s answered %d with a body that is not JSON: %v", method, r.path, status, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s %s answered %d with a body that does not match its schema: %v", method, r.path, status, err)
	}
	return nil
}

func (dc *docChecker) schema(pointer string) (*jsonschema.Schema, error) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if s, ok := dc.schemas[pointer]; ok {
		return s, nil
	}
	s, err := dc.compiler.Compile(docResource + "#" + pointer)
	if err != nil {
		return nil, fmt.Errorf("compile the schema at %s: %w", pointer, err)
	}
	dc.schemas[pointer] = s
	return s, nil
}

// escape makes a JSON pointer token of s (RFC 6901).
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// callerKey carries the testing.TB of the call in a request's context.
type callerKey struct{}

// checkingTransport checks every response a test's client receives.
type checkingTransport struct {
	next    http.RoundTripper
	checker *docChecker
	tb      testing.TB
}

func (t checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil // the test reading the body meets the error
	}
	if err := t.checker.check(req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body); err != nil {
		tb := t.tb
		if caller, ok := req.Context().Value(callerKey{}).(testing.TB); ok {
			tb = caller
		}
		tb.Errorf("OpenAPI mismatch: %s %s: %v\nbody: %s", req.Method, req.URL.Path, err, snippet(body))
	}
	return resp, nil
}

func snippet(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// documentChecker builds the checker of the document the server at url
// serves, once per process: every server of a test binary serves the same
// paths and schemas, and compiling the schemas is the costly part.
func documentChecker(client *http.Client, url string) (*docChecker, error) {
	checkerOnce.Do(func() {
		resp, err := client.Get(url + "/openapi.json")
		if err != nil {
			checkerErr = err
			return
		}
		defer resp.Body.Close()
		doc, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			checkerErr = fmt.Errorf("GET /openapi.json: %d %v", resp.StatusCode, err)
			return
		}
		sharedChecker, checkerErr = newDocChecker(doc)
	})
	return sharedChecker, checkerErr
}

var (
	checkerOnce   sync.Once
	sharedChecker *docChecker
	checkerErr    error
)

package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxTextCheckedBody matches the largest body an operation accepts (the
// course import); larger bodies are refused by the operation itself.
const maxTextCheckedBody = 64 << 20

// withStorableText refuses text that one of the engines cannot store: a NUL
// character (PostgreSQL rejects it in text and jsonb, SQLite would keep it)
// or invalid UTF-8 in the path or query. Refusing it here, naming the field,
// keeps both engines alike and keeps it from reaching a statement as a 500.
func withStorableText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bad(r.URL.Path) {
			pr := newProblem(http.StatusNotFound, "not_found", "No resource has this path.")
			writeProblem(w, r, pr)
			return
		}
		for name, values := range r.URL.Query() {
			for _, v := range values {
				if bad(v) || bad(name) {
					pr := newProblem(http.StatusBadRequest, "invalid_text", "A query parameter holds a NUL character or invalid UTF-8.")
					pr.addField(name, "must be UTF-8 text without NUL characters")
					writeProblem(w, r, pr)
					return
				}
			}
		}
		if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxTextCheckedBody+1))
		if err != nil {
			writeProblem(w, r, newProblem(http.StatusBadRequest, "unreadable_body", "The request body could not be read."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(`\u0000`)) && !perItemText[r.URL.Path] {
			if field, found := nulField(body); found {
				pr := newProblem(http.StatusUnprocessableEntity, "invalid_text", "Text may not contain NUL characters.")
				pr.addField(field, "must not contain NUL characters")
				pr.Detail = summarize(pr)
				writeProblem(w, r, pr)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// perItemText names the batch routes that refuse NUL characters item by
// item themselves (directory.BulkUserItem): one bad item must not refuse the
// whole batch.
var perItemText = map[string]bool{apiPrefix + "/users/bulk": true}

func bad(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

// nulField returns the dotted path (users.3.name) of the first string, key
// or value, holding a NUL in a JSON document. A body that is not JSON is left
// to the operation's own decoding.
func nulField(body []byte) (string, bool) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", false
	}
	return findNul(doc, "")
}

func findNul(v any, path string) (string, bool) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case string:
		if strings.IndexByte(t, 0) >= 0 {
			return cmp.Or(path, "body"), true
		}
	case []any:
		for i, e := range t {
			if f, ok := findNul(e, join(strconv.Itoa(i))); ok {
				return f, true
			}
		}
	case map[string]any:
		for k, e := range t {
			if strings.IndexByte(k, 0) >= 0 {
				return cmp.Or(path, "body"), true
			}
			if f, ok := findNul(e, join(k)); ok {
				return f, true
			}
		}
	}
	return "", false
}

package api

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxTextCheckedBody matches the largest body an operation accepts (the
// course import); larger bodies are refused by the operation itself.
const maxTextCheckedBody = 64 << 20

// withStorableText refuses text that one of the engines cannot store: a NUL
// character (PostgreSQL rejects it in text and jsonb, SQLite would keep it)
// or invalid UTF-8 anywhere in the path, query or JSON body, and repeated
// keys in a JSON object (see inspectJSON). Refusing it here, naming the field,
// keeps both engines alike, keeps it from reaching a statement as a 500, and
// covers every face (REST, platform, SCIM) at once.
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
		// Batch routes refuse NUL characters item by item themselves.
		if f, found := inspectJSON(body, perItemText[r.URL.Path]); found {
			pr := newProblem(f.status, f.kind.code(), "The request body holds text Roster cannot store as sent.")
			pr.addField(f.field, f.kind.reason())
			pr.Detail = summarize(pr)
			writeProblem(w, r, pr)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// perItemText names the batch routes that refuse NUL characters item by
// item themselves (directory.BulkUserItem): one bad item must not refuse the
// whole batch.
var perItemText = map[string]bool{apiPrefix + "/users/bulk": true}

func bad(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

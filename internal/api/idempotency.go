package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/idempotency"
)

// maxIdempotentBody bounds the request body read for fingerprinting; larger
// bodies are refused by the operations' own limits anyway.
const maxIdempotentBody = 32 << 20

// withIdempotency replays the stored response of a POST or PATCH retried with
// the same Idempotency-Key: same body → same response; different body → 422;
// first request still running → 409. The request's writes and its recorded
// answer commit in one transaction (idempotency.Store.Do), so a crash never
// leaves a key claimed by work that is done but unrecorded.
func withIdempotency(store *idempotency.Store, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.Header.Get("Idempotency-Key")
		p, authed := access.FromContext(r.Context())
		if raw == "" || !authed || (r.Method != http.MethodPost && r.Method != http.MethodPatch) {
			next.ServeHTTP(w, r)
			return
		}
		key := strings.TrimSpace(raw)
		if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
			key = key[1 : len(key)-1] // RFC 8941 sf-string form
		}
		if !validIdempotencyKey(key) {
			pr := newProblem(http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 printable ASCII characters.")
			pr.addField("Idempotency-Key", "must be 1 to 255 printable ASCII characters")
			writeProblem(w, r, pr)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxIdempotentBody+1))
		if err != nil {
			writeProblem(w, r, newProblem(http.StatusBadRequest, "unreadable_body", "The request body could not be read."))
			return
		}
		if len(body) > maxIdempotentBody {
			writeProblem(w, r, newProblem(http.StatusRequestEntityTooLarge, "body_too_large", "The request body is too large."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sc := idempotency.Scope{APIKeyID: p.KeyID, Method: r.Method, Path: r.URL.Path, Key: key}
		sum := sha256.Sum256(append([]byte(r.URL.RawQuery+"\n"), canonicalJSON(body)...))
		fingerprint := hex.EncodeToString(sum[:])

		// The answer is held back until its transaction commits: a client
		// must never see a success whose writes could still roll back.
		held := &heldWriter{header: http.Header{}, status: http.StatusOK}
		out, err := store.Do(r.Context(), sc, fingerprint, func(ctx context.Context) idempotency.Answer {
			next.ServeHTTP(held, r.WithContext(ctx))
			return idempotency.Answer{Status: held.status, ContentType: held.header.Get("Content-Type"),
				Body: held.buf.Bytes(), Settled: replayable(held.status)}
		})
		rec := out.Existing
		switch {
		case err != nil:
			log.ErrorContext(r.Context(), "idempotent request", "err", err.Error(), "request_id", requestIDFrom(r.Context()))
			writeProblem(w, r, newProblem(http.StatusServiceUnavailable, "idempotency_unavailable",
				"The request could not be committed; nothing was changed. Retry it with the same Idempotency-Key."))
		case out.InFlight:
			writeProblem(w, r, newProblem(http.StatusConflict, "idempotency_key_in_use",
				"A request with this Idempotency-Key is still being processed; retry shortly."))
		case rec != nil && rec.Fingerprint != fingerprint:
			writeProblem(w, r, newProblem(http.StatusUnprocessableEntity, "idempotency_key_reused",
				"This Idempotency-Key was already used with a different request body."))
		case rec != nil:
			w.Header().Set("Idempotent-Replayed", "true")
			if rec.ContentType != "" {
				w.Header().Set("Content-Type", rec.ContentType)
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(rec.Body)))
			w.WriteHeader(rec.Status)
			_, _ = w.Write(rec.Body)
		default:
			for k, v := range held.header {
				w.Header()[k] = v
			}
			w.WriteHeader(held.status)
			_, _ = w.Write(held.buf.Bytes())
		}
	})
}

// replayable reports whether a response is the request's settled outcome.
// Refusals that did no work (auth, scope, rate limit, conflicts in flight)
// and server errors are not stored, so the client can retry them.
func replayable(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return status < 500
}

func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// heldWriter keeps a response in memory until it may be sent.
type heldWriter struct {
	header      http.Header
	status      int
	wroteHeader bool
	buf         bytes.Buffer
}

func (w *heldWriter) Header() http.Header { return w.header }

func (w *heldWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status = status
		w.wroteHeader = true
	}
}

func (w *heldWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.buf.Write(b)
}

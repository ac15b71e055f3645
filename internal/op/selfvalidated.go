package op

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// requireJSON answers 400 to a body that is not JSON before a
// SelfValidated operation sees it. huma's own check runs with its schema
// validation, which such operations skip; without this a malformed body
// would come back as a 422 about the body's fields.
// A body past maxBytes is handed on untouched for huma to refuse (413).
func requireJSON(maxBytes int64) func(huma.Context, func(huma.Context)) {
	if maxBytes <= 0 {
		maxBytes = 1 << 20 // huma's default
	}
	return func(hctx huma.Context, next func(huma.Context)) {
		r := hctx.BodyReader()
		if r == nil {
			next(hctx)
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
		if err != nil {
			writeError(hctx, huma.NewErrorWithContext(hctx, http.StatusBadRequest, "cannot read the request body"))
			return
		}
		if int64(len(data)) > maxBytes {
			next(bodyContext{humaContext: hctx, body: io.MultiReader(bytes.NewReader(data), r)})
			return
		}
		checkJSON(hctx, data, next)
	}
}

func checkJSON(hctx huma.Context, data []byte, next func(huma.Context)) {
	if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) {
		var v any
		msg := "malformed JSON"
		if err := json.Unmarshal(data, &v); err != nil {
			msg += ": " + err.Error()
		}
		writeError(hctx, huma.NewErrorWithContext(hctx, http.StatusBadRequest, msg))
		return
	}
	next(bodyContext{humaContext: hctx, body: bytes.NewReader(data)})
}

// bodyContext hands the already-read body on to huma.
type bodyContext struct {
	humaContext
	body io.Reader
}

// humaContext names the embedded interface apart from its Context method.
type humaContext = huma.Context

func (c bodyContext) BodyReader() io.Reader { return c.body }

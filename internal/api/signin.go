package api

import (
	"context"
	"html/template"
	"net/http"

	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
)

// LoginLinks consumes one-time sign-in links.
type LoginLinks interface {
	ConsumeLoginLink(ctx context.Context, token string) (int64, directory.User, error)
}

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Roster</title></head>
<body><main><h1>{{.Title}}</h1><p>{{.Text}}</p></main></body></html>
`))

// signInHandler serves the URL of a one-time sign-in link. The link is used
// up by the first visit. Until Roster has a console there is nothing to sign
// in to, so the page only says who the link was for.
func signInHandler(links LoginLinks, errs errorMapper) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The token must not leak through caches or the Referer header.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, u, err := links.ConsumeLoginLink(r.Context(), r.PathValue("token"))
		data := struct{ Title, Text string }{"Signed in", ""}
		switch {
		case err == nil:
			data.Text = "Signed in as " + u.Name + " (" + u.Email + ")."
		case fault.KindOf(err) == fault.KindNotFound:
			w.WriteHeader(http.StatusNotFound)
			data.Title, data.Text = "Link not valid", "This sign-in link is unknown, expired or already used. Ask for a new one."
		default:
			p := errs.toProblem(r.Context(), err) // logs it
			w.WriteHeader(p.Status)
			data.Title, data.Text = "Sign-in failed", p.Detail
		}
		_ = signInPage.Execute(w, data)
	}
}

// Package docsui serves the API reference at /docs: Redoc's standalone
// bundle (MIT, see LICENSE-redoc; refreshed by update.sh) embedded in the
// binary, so the page works offline and loads nothing from a CDN.
package docsui

import (
	"embed"
	"net/http"
	"strings"
)

//go:embed redoc.standalone.js redoc.standalone.js.LICENSE.txt LICENSE-redoc VERSION
var files embed.FS

// ScriptPath is where the bundle is served.
const ScriptPath = "/docs/redoc.standalone.js"

// page loads the document from specPath with the embedded bundle.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roster API</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="{{spec}}"></redoc>
<script src="{{script}}"></script>
</body>
</html>
`

// Register mounts GET /docs (the page) and the bundle on mux.
func Register(mux *http.ServeMux, specPath string) {
	html := strings.NewReplacer("{{spec}}", specPath, "{{script}}", ScriptPath).Replace(page)
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write([]byte(html))
	})
	mux.HandleFunc("GET "+ScriptPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, files, "redoc.standalone.js")
	})
}

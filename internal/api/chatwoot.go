package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/db"
)

// chatwootStatusOutput is Chatwoot's GET /api answer. Chatwoot clients (the
// n8n Chatwoot node's credential test) call it without a token to check the
// base URL.
type chatwootStatusOutput struct {
	Body struct {
		Version       string `json:"version" doc:"Roster's version"`
		Timestamp     string `json:"timestamp" doc:"Server time, UTC" example:"2026-12-03 08:00:00"`
		QueueServices string `json:"queue_services" enum:"ok,failing"`
		DataServices  string `json:"data_services" enum:"ok,failing"`
	}
}

func registerChatwootStatus(api huma.API, d *db.DB, version string, now func() time.Time) {
	huma.Register(api, huma.Operation{OperationID: "chatwoot.status", Method: http.MethodGet, Path: "/api",
		Summary: "Service status (Chatwoot compatible)", Tags: []string{"Health"},
		Description: "What Chatwoot's `GET /api` answers. Public: Chatwoot clients test their base URL with it."},
		func(ctx context.Context, _ *struct{}) (*chatwootStatusOutput, error) {
			out := &chatwootStatusOutput{}
			out.Body.Version, out.Body.Timestamp = version, now().UTC().Format("2006-01-02 15:04:05")
			// Jobs live in the database, so both services are the database.
			out.Body.QueueServices, out.Body.DataServices = "ok", "ok"
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := d.Ping(pctx); err != nil {
				out.Body.QueueServices, out.Body.DataServices = "failing", "failing"
			}
			return out, nil
		})
}

// chatwootFace reports whether path belongs to a Chatwoot-style face, whose
// clients show an error's `message` and nothing else.
func chatwootFace(path string) bool {
	for _, prefix := range []string{platformPrefix + "/", apiPrefix + "/accounts/", apiPrefix + "/profile/"} {
		if strings.HasPrefix(path+"/", prefix) {
			return true
		}
	}
	return false
}

// chatwootStyle makes a problem read like Chatwoot's validation error
// ({message, attributes}): `message` carries the specific reasons (n8n shows
// only that; "Validation failed" alone tells its user nothing) and
// `attributes` names the offending fields.
func chatwootStyle(p *Problem) {
	if len(p.InvalidParams) == 0 {
		return
	}
	p.Message = p.Detail
	seen := map[string]bool{}
	for _, ip := range p.InvalidParams {
		if !seen[ip.Name] {
			seen[ip.Name] = true
			p.Attributes = append(p.Attributes, ip.Name)
		}
	}
	sort.Strings(p.Attributes)
}

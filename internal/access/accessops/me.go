// Package accessops defines the operations about the caller's own key.
package accessops

import (
	"context"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/op"
)

// Me describes the key a request was made with; integrations use it to test
// a connection and label it.
type Me struct {
	WorkspaceID   int64    `json:"workspaceId"`
	WorkspaceName string   `json:"workspaceName"`
	KeyID         string   `json:"keyId"`
	KeyName       string   `json:"keyName"`
	Scopes        []string `json:"scopes"`
	RateLimit     int      `json:"rateLimit" doc:"Requests per minute for this key; 0 means the server default"`
	CreatedAt     int64    `json:"createdAt"`
}

// MeOutput carries the description of the calling key.
type MeOutput struct{ Body Me }

// Ops returns the key operations.
func Ops(s *access.Service) []op.Any {
	return []op.Any{
		&op.Op[struct{}, MeOutput]{
			ID: "me.get", Tag: "Account", Method: http.MethodGet, Path: "/me",
			Summary:     "Describe the calling API key",
			Description: "Any valid key may call it: connection tests (Zapier's authentication test) and labels use it.",
			Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*MeOutput, error) {
				ws, key, err := s.Describe(ctx, p)
				if err != nil {
					return nil, err
				}
				scopes := make([]string, len(p.Scopes))
				for i, sc := range p.Scopes {
					scopes[i] = string(sc)
				}
				return &MeOutput{Body: Me{WorkspaceID: ws.ID, WorkspaceName: ws.Name, KeyID: key.ID, KeyName: key.Name,
					Scopes: scopes, RateLimit: key.RateLimit, CreatedAt: key.CreatedAt.Truncate(time.Second).Unix()}}, nil
			},
		},
	}
}

package access

import (
	"context"

	"github.com/rosterhq/roster/internal/fault"
)

// Principal is who an operation runs as: an API key of one workspace, or an
// internal actor (a workflow) acting inside a workspace.
type Principal struct {
	WorkspaceID int64
	KeyID       string // empty for internal actors
	Scopes      []Scope
	RateLimit   int // requests per minute; 0 means the server default
}

// Allows reports whether the principal holds scope (directly or through the
// matching ".write" scope).
func (p Principal) Allows(scope Scope) bool {
	for _, have := range p.Scopes {
		if grants(have, scope) {
			return true
		}
	}
	return false
}

// Require returns a forbidden error unless the principal holds scope.
func (p Principal) Require(scope Scope) error {
	if !p.Allows(scope) {
		return fault.Forbidden("this API key lacks the %q scope", scope)
	}
	return nil
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

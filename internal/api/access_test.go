package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/op"
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

type routed struct {
	meta op.Meta
	path string
}

// everyRoute lists every operation of every face with a concrete path.
func everyRoute(s *apptest.Server) []routed {
	var out []routed
	faces := []struct {
		prefix string
		reg    *op.Registry
	}{{"/api/v1", s.App.Server.Registry}, {"/platform/api/v1", s.App.Server.Platform}, {"/api/v1", s.App.Server.Chatwoot}}
	for _, f := range faces {
		for _, o := range f.reg.All() {
			m := o.Meta()
			prefix := f.prefix
			if m.Root {
				prefix = ""
			}
			out = append(out, routed{meta: m, path: prefix + pathParam.ReplaceAllString(m.Path, "1")})
		}
	}
	return out
}

// allScopesBut returns every scope that does not grant need.
func allScopesBut(need access.Scope) []access.Scope {
	var out []access.Scope
	for _, sc := range access.AllScopes {
		if (access.Principal{Scopes: []access.Scope{sc}}).Allows(need) {
			continue
		}
		out = append(out, sc)
	}
	return out
}

func bodyFor(method string) any {
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		return map[string]any{}
	}
	return nil
}

// TestEveryRouteRequiresItsScope checks, for every operation in the
// registries, that no key gives 401 and a key with every other scope gives
// 403 — before the input is even validated.
func TestEveryRouteRequiresItsScope(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		routes := everyRoute(s)
		if len(routes) < 10 {
			t.Fatalf("only %d routes found", len(routes))
		}
		for _, r := range routes {
			if r.meta.Public {
				continue // authenticates by its own token; tested with its feature
			}
			t.Run(r.meta.ID, func(t *testing.T) {
				if r.meta.Scope == "" { // any valid key: only the key is checked
					s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Body: bodyFor(r.meta.Method)}).Problem(t, http.StatusUnauthorized)
					s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Key: tenant.NewKey(t, access.UsersRead)}).Expect(t, http.StatusOK)
					return
				}
				if r.meta.Scope == access.Platform {
					// Only a platform key: a workspace key with every scope is refused.
					s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Body: bodyFor(r.meta.Method)}).Problem(t, http.StatusUnauthorized)
					p := s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Key: tenant.Key, Body: bodyFor(r.meta.Method)}).Problem(t, http.StatusForbidden)
					if p.Code != "insufficient_scope" {
						t.Errorf("workspace key: %+v", p)
					}
					return
				}
				if !slices.Contains(access.AllScopes, r.meta.Scope) {
					t.Fatalf("operation %s needs unknown scope %q", r.meta.ID, r.meta.Scope)
				}
				p := s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Body: bodyFor(r.meta.Method)}).Problem(t, http.StatusUnauthorized)
				if p.Code != "unauthorized" {
					t.Errorf("no key: code %q", p.Code)
				}
				key := tenant.NewKey(t, allScopesBut(r.meta.Scope)...)
				p = s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Key: key, Body: bodyFor(r.meta.Method)}).Problem(t, http.StatusForbidden)
				if p.Code != "insufficient_scope" || !strings.Contains(p.Detail, string(r.meta.Scope)) {
					t.Errorf("wrong scope: %+v", p)
				}
			})
		}
	})
}

func TestCredentials(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		headers := []map[string]string{
			{"X-API-KEY": tenant.Key},
			{"Authorization": "Bearer " + tenant.Key},
			{"Authorization": "bearer " + tenant.Key},
			{"api_access_token": tenant.Key},
		}
		for _, h := range headers {
			s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Headers: h}).Expect(t, http.StatusOK)
		}
		bad := []string{"nope", tenant.Key + "x", tenant.Key[:len(tenant.Key)-1] + "Z", "rk_" + strings.Repeat("a", 44)}
		for _, k := range bad {
			resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: k})
			resp.Problem(t, http.StatusUnauthorized)
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		}

		keys, err := s.App.Access.ListKeys(t.Context(), tenant.ID)
		if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
			t.Fatalf("last use not recorded: %+v %v", keys, err)
		}
		if err := s.App.Access.RevokeKey(t.Context(), keys[0].ID); err != nil {
			t.Fatal(err)
		}
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: tenant.Key}).Problem(t, http.StatusUnauthorized)
	})
}

func TestKeysAreStoredHashed(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rows, err := s.App.DB.Read().QueryContext(t.Context(), `SELECT id, name, secret_hash, scopes FROM api_keys`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, name, hash, scopes string
			if err := rows.Scan(&id, &name, &hash, &scopes); err != nil {
				t.Fatal(err)
			}
			secret := tenant.Key[len("rk_")+len(id):]
			for _, col := range []string{id, name, hash, scopes} {
				if strings.Contains(col, secret) {
					t.Fatalf("key secret stored in plain text")
				}
			}
		}
	})
}

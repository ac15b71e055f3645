package api

import "testing"

func TestRedactPathAndQuery(t *testing.T) {
	paths := []struct{ in, want string }{
		{"/api/v1/users", "/api/v1/users"},
		{"/hooks/in/whk_abc123", "/hooks/in/REDACTED"},
		{"/hooks/in/plain-token/extra", "/hooks/in/REDACTED/extra"},
		{"/api/v1/hooks/in/tok", "/api/v1/hooks/in/REDACTED"},
		{"/sso/login/abc", "/sso/login/REDACTED"},
		{"/hooks/in/", "/hooks/in/"},
		{"/api/v1/users/rk_secretsecret", "/api/v1/users/REDACTED"},
		{"/api/v1/webhooks/whsec_x/test", "/api/v1/webhooks/REDACTED/test"},
		{"/api/v1/users/rk_", "/api/v1/users/rk_"},
	}
	for _, c := range paths {
		if got := redactPath(c.in); got != c.want {
			t.Errorf("redactPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	queries := []struct{ in, want string }{
		{"limit=5&offset=10", "limit=5&offset=10"},
		{"token=abc&limit=5", "token=REDACTED&limit=5"},
		{"api_key=abc", "api_key=REDACTED"},
		{"access_token=abc&X-Api-Key=k", "access_token=REDACTED&X-Api-Key=REDACTED"},
		{"client%5Fsecret=s", "client%5Fsecret=REDACTED"},
		{"q=rk_leaked", "q=REDACTED"},
		{"q=%zz&token=", "q=%zz&token="},
		{"flag&password=p", "flag&password=REDACTED"},
	}
	for _, c := range queries {
		if got := redactQuery(c.in); got != c.want {
			t.Errorf("redactQuery(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

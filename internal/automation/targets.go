package automation

import (
	"errors"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/outbound"
)

// An http.request step reaches an address its author chose, so it obeys the
// rules webhook endpoints do: a literal URL is checked when the workflow is
// saved (private, loopback and link-local targets and URLs with credentials
// are refused, numeric hosts read as browsers read them), a mapped URL when
// the step runs, and a refusal is never retried.

// AllowPrivateTargets lets http.request steps reach private addresses (tests
// and local setups; the server's --allow-private-targets).
func (s *Service) AllowPrivateTargets(allow bool) {
	s.allowPrivate = allow
	if s.runner != nil {
		s.runner.allowPrivate = allow
	}
}

// checkTargets adds a field error for every literal http.request URL that
// may not be called.
func (s *Service) checkTargets(d Definition, f *fault.Fields) {
	walkSteps("definition.steps", d.Steps, func(path string, st Step) {
		if st.Op != OpHTTP {
			return
		}
		raw, ok := st.Input["url"].(string)
		if !ok || strings.Contains(raw, "{{") {
			return
		}
		if _, err := outbound.CheckURL(raw, s.allowPrivate); err != nil {
			f.Add(path+".input.url", "%s", err.Error())
		}
	})
}

// checkTarget checks a step's URL as resolved at run time; its refusal is
// permanent.
func (r *Runner) checkTarget(raw string) (string, error) {
	u, err := outbound.CheckURL(raw, r.allowPrivate)
	if err != nil {
		return "", fault.Invalid("url", "%s", err.Error())
	}
	return u.String(), nil
}

// refused reports an outbound request the private-target guard stopped at
// connect time (a name that resolved to a private address).
func refused(err error) bool {
	var b *outbound.BlockedError
	return errors.As(err, &b)
}

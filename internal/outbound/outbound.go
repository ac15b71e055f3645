// Package outbound makes the HTTP requests Roster sends to addresses its users
// choose: webhook deliveries, and later workflow HTTP steps. Such a URL must
// not let a caller reach Roster's own network (SSRF), so the client refuses
// loopback, private, link-local and other special-purpose addresses unless
// told otherwise. The check runs on the address actually dialled, after DNS
// resolution, so a name that resolves (or re-resolves) to 127.0.0.1 is
// refused as surely as the literal.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults for Options.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 15 * time.Second
	// MaxResponseBytes bounds how much of a response body is read.
	MaxResponseBytes = 64 << 10
)

// Options configures a guarded client.
type Options struct {
	// AllowPrivate permits loopback, private and link-local targets. Off in
	// production; tests and local setups switch it on.
	AllowPrivate bool
	// ConnectTimeout bounds the TCP connect (default 5 s).
	ConnectTimeout time.Duration
	// Timeout bounds the whole exchange, body included (default 15 s).
	Timeout time.Duration
	// MaxConnsPerHost caps concurrent connections to one host (default 0, no
	// cap); idle connections kept per host default to 32.
	MaxConnsPerHost int
}

// BlockedError reports a refused target address.
type BlockedError struct {
	Addr   string
	Reason string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("outbound request to %s refused: %s (private targets are not allowed)", e.Addr, e.Reason)
}

// NewClient returns an *http.Client that dials only permitted addresses, does
// not follow redirects (a 3xx is returned as is), ignores proxy settings from
// the environment (a proxy would hide the real target), and applies the
// timeouts.
func NewClient(o Options) *http.Client {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = refusePrivate
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   32,
		MaxConnsPerHost:       o.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		ResponseHeaderTimeout: o.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// refusePrivate is a net.Dialer Control function: it runs after resolution,
// on the exact address about to be connected.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Addr: address, Reason: "unparsable address"}
	}
	if reason := Forbidden(ap.Addr()); reason != "" {
		return &BlockedError{Addr: address, Reason: reason}
	}
	return nil
}

var specialPrefixes = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this\" network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation range"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking range"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation range"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation range"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved range"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation range"},
	{netip.MustParsePrefix("100::/64"), "discard range"},
}

// nat64 embeds an IPv4 address in its last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Forbidden returns why a is not a permitted public target, or "" when it is.
func Forbidden(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		return Forbidden(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	switch {
	case !a.IsValid():
		return "invalid address"
	case a.IsLoopback():
		return "loopback address"
	case a.IsPrivate():
		return "private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local address"
	case a.IsUnspecified():
		return "unspecified address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast address"
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast address"
	}
	for _, p := range specialPrefixes {
		if p.prefix.Contains(a) {
			return p.reason
		}
	}
	return ""
}

// CheckURL validates a target URL before it is stored and before it is
// used: absolute http or https, a host, no credentials, at most 2,000
// characters; a numeric host in any form browsers accept (see whatwgIPv4) is
// rewritten as a dotted quad. Unless
// allowPrivate, a literal forbidden address or a name that is plainly local
// ("localhost", "*.localhost", "*.local", "*.internal") is refused here too;
// other names are checked when connecting, on every request. The message
// suits a field error.
func CheckURL(raw string, allowPrivate bool) (*url.URL, error) {
	if len(raw) > 2000 {
		return nil, errors.New("must be at most 2,000 characters")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("must be an absolute http or https URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("must be an absolute http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("must name a host")
	}
	if u.User != nil {
		return nil, errors.New("must not carry credentials; use a token in the path or query instead")
	}
	if u.Fragment != "" {
		return nil, errors.New("must not have a #fragment")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, numeric, err := whatwgIPv4(host); err != nil {
		return nil, err
	} else if numeric {
		// Store the address as every client will read it, so that what was
		// checked is what is dialled.
		port := u.Port()
		u.Host = a.String()
		if port != "" {
			u.Host += ":" + port
		}
		host = a.String()
	}
	if allowPrivate {
		return u, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if reason := Forbidden(a); reason != "" {
			return nil, fmt.Errorf("must not point at a %s (private targets are not allowed on this server)", reason)
		}
		return u, nil
	}
	for _, suffix := range []string{".localhost", ".local", ".internal"} {
		if host == "localhost" || strings.HasSuffix(host, suffix) {
			return nil, errors.New("must not point at a local host name (private targets are not allowed on this server)")
		}
	}
	return u, nil
}

// ReadBody reads at most MaxResponseBytes of r and reports whether there was
// more.
func ReadBody(r io.Reader) (body []byte, truncated bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if len(body) > MaxResponseBytes {
		body, truncated = body[:MaxResponseBytes], true
	}
	return body, truncated, err
}

// IsBlocked reports whether err is a refusal of the target address.
func IsBlocked(err error) bool {
	var b *BlockedError
	return errors.As(err, &b)
}

// IsTimeout reports whether err is a timeout (connect, headers or body).
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

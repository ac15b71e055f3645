package outbound

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// errBadIPv4 is a host that ends in a number but is not an IPv4 address in
// any form a browser accepts ("1.2.3.4.5", "0x1g").
var errBadIPv4 = errors.New("must name a valid host")

// whatwgIPv4 parses host as the URL Standard's host parser does
// (https://url.spec.whatwg.org/#concept-ipv4-parser): a host whose last
// label is a number is an IPv4 address written in decimal, octal (leading
// 0) or hex (0x) parts, with one to four parts, the last filling the
// remaining bytes. So "2130706433", "0x7f.1", "127.1", "017700000001" and
// "0" are all addresses, as browsers and many HTTP clients treat them;
// checking only dotted quads would let them past a private-target guard.
// ok is false when host is a name (its last label is not a number).
func whatwgIPv4(host string) (addr netip.Addr, ok bool, err error) {
	if strings.Contains(host, ":") { // IPv6, possibly with an embedded IPv4 tail
		return netip.Addr{}, false, nil
	}
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 || !endsInNumber(parts[len(parts)-1]) {
		return netip.Addr{}, false, nil
	}
	if len(parts) > 4 {
		return netip.Addr{}, true, errBadIPv4
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, perr := ipv4Number(p)
		if perr != nil {
			return netip.Addr{}, true, errBadIPv4
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, true, errBadIPv4
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, true, errBadIPv4
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, nil
}

// endsInNumber is the URL Standard's "ends in a number" check on the last
// label: all decimal digits, or a 0x-prefixed hex number.
func endsInNumber(label string) bool {
	if label != "" && strings.Trim(label, "0123456789") == "" {
		return true
	}
	if h, ok := cutHexPrefix(label); ok {
		return strings.Trim(h, "0123456789abcdefABCDEF") == ""
	}
	return false
}

func cutHexPrefix(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:], true
	}
	return s, false
}

func ipv4Number(p string) (uint64, error) {
	if p == "" {
		return 0, errBadIPv4
	}
	base := 10
	if h, ok := cutHexPrefix(p); ok {
		p, base = h, 16
		if p == "" {
			return 0, nil // "0x" alone is zero
		}
	} else if len(p) > 1 && p[0] == '0' {
		p, base = p[1:], 8
	}
	return strconv.ParseUint(p, base, 32)
}

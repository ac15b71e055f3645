package outbound

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestForbidden(t *testing.T) {
	cases := map[string]bool{ // address → forbidden
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fc00::1": true, "fd12:3456::1": true, "0.0.0.0": true, "::": true,
		"100.64.0.1": true, "224.0.0.1": true, "255.255.255.255": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true,
		"64:ff9b::7f00:1": true, "198.18.0.1": true, "240.0.0.1": true,
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700::1111": false, "64:ff9b::808:808": false, "172.32.0.1": false,
	}
	for addr, want := range cases {
		if got := Forbidden(netip.MustParseAddr(addr)) != ""; got != want {
			t.Errorf("%s: forbidden %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://example.com/hook?x=1": true, "http://example.com:8080/": true,
		"ftp://example.com/": false, "example.com/hook": false, "https://": false, "https://u:p@example.com/": false,
		"https://example.com/#frag": false, "http://127.0.0.1/": false, "http://localhost/": false, "http://LOCALHOST./": false,
		"http://api.localhost/": false, "http://[::1]:80/": false, "http://10.0.0.8/": false, "http://db.internal/": false,
		"https://" + strings.Repeat("a", 2000) + ".com/": false,
	} {
		_, err := CheckURL(raw, false)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
	if _, err := CheckURL("http://127.0.0.1:8080/", true); err != nil {
		t.Errorf("allowPrivate: %v", err)
	}
	if _, err := CheckURL("ftp://127.0.0.1/", true); err == nil {
		t.Error("allowPrivate still needs http(s)")
	}
}

// TestGuardChecksTheDialledAddress: the check runs on the resolved
// address, so a name that resolves to loopback is refused like the literal.
func TestGuardChecksTheDialledAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	guarded := NewClient(Options{})
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/"} {
		_, err := guarded.Get(u)
		if !IsBlocked(err) {
			t.Fatalf("%s: err %v, want a refusal", u, err)
		}
	}
	open := NewClient(Options{AllowPrivate: true})
	resp, err := open.Get("http://localhost:" + port + "/")
	if err != nil {
		t.Fatalf("allowed client: %v", err)
	}
	resp.Body.Close()
}

func TestNoRedirectsAndBoundedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/big", http.StatusFound)
			return
		}
		io.WriteString(w, strings.Repeat("x", MaxResponseBytes+100))
	}))
	defer srv.Close()
	c := NewClient(Options{AllowPrivate: true})
	resp, err := c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("followed a redirect: %d", resp.StatusCode)
	}
	resp, err = c.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, truncated, err := ReadBody(resp.Body)
	if err != nil || !truncated || len(body) != MaxResponseBytes {
		t.Fatalf("read %d bytes, truncated %v, err %v", len(body), truncated, err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(Options{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.Get(srv.URL)
	if !IsTimeout(err) || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s, want a timeout after 200ms", err, time.Since(start))
	}
}

// Numeric hosts are read as browsers read them (the URL Standard's IPv4
// parser), so no spelling of a private address gets past the save-time check.
func TestCheckURLReadsNumericHostsAsBrowsersDo(t *testing.T) {
	cases := []struct {
		raw     string
		private bool   // refused unless private targets are allowed
		invalid bool   // never a valid host
		host    string // the host stored, when accepted
	}{
		{raw: "http://2130706433/", private: true, host: "127.0.0.1"},
		{raw: "http://0x7f.1/", private: true, host: "127.0.0.1"},
		{raw: "http://127.1/", private: true, host: "127.0.0.1"},
		{raw: "http://017700000001/", private: true, host: "127.0.0.1"},
		{raw: "http://0/", private: true, host: "0.0.0.0"},
		{raw: "http://0x0A.0.0.1:8080/x", private: true, host: "10.0.0.1:8080"},
		{raw: "http://169.254.169.254./", private: true, host: "169.254.169.254"},
		{raw: "http://3627734734/", host: "216.58.214.206"},
		{raw: "http://0xd8.0x3a.0xd6.0xce/", host: "216.58.214.206"},
		{raw: "http://1.2.3.4.5/", invalid: true},
		{raw: "http://256.1.1.1/", invalid: true},
		{raw: "http://1.2.0x1g/", invalid: false, host: "1.2.0x1g"}, // a name: its last label is not a number
		{raw: "http://4294967296/", invalid: true},
		{raw: "http://hooks.example.com/", host: "hooks.example.com"},
		{raw: "http://[::ffff:192.168.0.1]/", private: true, host: "[::ffff:192.168.0.1]"},
	}
	for _, c := range cases {
		u, err := CheckURL(c.raw, false)
		switch {
		case c.invalid || c.private:
			if err == nil {
				t.Errorf("CheckURL(%q) accepted %s", c.raw, u)
			}
		case err != nil:
			t.Errorf("CheckURL(%q): %v", c.raw, err)
		case u.Host != c.host:
			t.Errorf("CheckURL(%q) host %q, want %q", c.raw, u.Host, c.host)
		}
		if c.private {
			u, err := CheckURL(c.raw, true)
			if err != nil || u.Host != c.host {
				t.Errorf("CheckURL(%q, allow private) = %v, %v; want host %s", c.raw, u, err, c.host)
			}
		}
	}
}

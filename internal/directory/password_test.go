package directory

import (
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	cases := []struct {
		pw   string
		want string // substring of the message; "" = accepted
	}{
		{"Passw0rd!", ""},
		{"Ünïcödé1!", ""},
		{"Aa1!aaaa", ""},
		{"Aa1!aaa", "8 to 128"},
		{"Aa1!" + strings.Repeat("a", 125), "8 to 128"},
		{"password1!", "upper-case"},
		{"PASSWORD1!", "lower-case"},
		{"Password!!", "digit"},
		{"Password11", "special"},
		{"Pass word1", "special"}, // a space is not a special character
		{"abcdefgh", "upper-case letter, a digit, a special"},
	}
	for _, tc := range cases {
		got := checkPassword(tc.pw)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("checkPassword(%q) = %q, want %q", tc.pw, got, tc.want)
		}
	}
}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := hashPassword("Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("Passw0rd!")
	if h == h2 {
		t.Fatal("hashes are not salted")
	}
	if !verifyPassword(h, "Passw0rd!") || verifyPassword(h, "Passw0rd?") || verifyPassword("garbage", "Passw0rd!") {
		t.Fatal("verify is wrong")
	}
}

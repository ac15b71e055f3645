package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// textFault is the first thing in a JSON body that Roster refuses before the
// body is decoded: encoding/json would quietly turn invalid UTF-8 into U+FFFD
// and keep the last of two equal keys, so the caller's data would be stored
// changed without a word.
type textFault struct {
	field  string
	kind   textFaultKind
	status int
}

type textFaultKind int

const (
	faultNul textFaultKind = iota + 1
	faultInvalidUTF8
	faultDuplicateKey
)

func (k textFaultKind) code() string {
	if k == faultDuplicateKey {
		return "duplicate_key"
	}
	return "invalid_text"
}

func (k textFaultKind) reason() string {
	switch k {
	case faultNul:
		return "must not contain NUL characters"
	case faultInvalidUTF8:
		return "must be valid UTF-8 (no invalid bytes or unpaired surrogates)"
	default:
		return "appears more than once in the same object"
	}
}

// jsonFrame is one open object or array on the way down a JSON document.
type jsonFrame struct {
	object    bool
	key       string // object: the current member's key
	index     int    // array: the current element's index
	expectKey bool
	seen      map[string]struct{}
}

// inspectJSON walks body once and returns the first string (key or value)
// holding a NUL or invalid UTF-8, or the first repeated key, with its dotted
// path (users.3.name). A body that is not JSON is left to the operation.
//
// With nulAllowed, NUL characters are left to the operation (a batch route
// that refuses them per item).
func inspectJSON(body []byte, nulAllowed bool) (textFault, bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return textFault{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*jsonFrame
	prev := 0
	path := func(last string) string {
		parts := make([]string, 0, len(stack)+1)
		for _, f := range stack {
			switch {
			case f.object && !f.expectKey:
				parts = append(parts, f.key)
			case !f.object:
				parts = append(parts, strconv.Itoa(f.index))
			}
		}
		if last != "" {
			parts = append(parts, last)
		}
		if len(parts) == 0 {
			return "body"
		}
		return strings.Join(parts, ".")
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		if f.object {
			f.expectKey = true
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return textFault{}, false
		}
		end := int(dec.InputOffset())
		raw := body[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &jsonFrame{object: true, expectKey: true, seen: map[string]struct{}{}})
			case '[':
				stack = append(stack, &jsonFrame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
			if kind := rawStringFault(raw); kind != 0 && !(kind == faultNul && nulAllowed) {
				if isKey {
					return textFault{field: path(t), kind: kind, status: 422}, true
				}
				return textFault{field: path(""), kind: kind, status: 422}, true
			}
			if isKey {
				f := stack[len(stack)-1]
				if _, dup := f.seen[t]; dup {
					return textFault{field: path(t), kind: faultDuplicateKey, status: 400}, true
				}
				f.seen[t] = struct{}{}
				f.key, f.expectKey = t, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// rawStringFault checks a string token as it was written (with the
// separators before it): raw bytes must be UTF-8, and \u escapes may not
// encode NUL or an unpaired surrogate.
func rawStringFault(raw []byte) textFaultKind {
	if !utf8.Valid(raw) {
		return faultInvalidUTF8
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return 0
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return 0 // malformed escapes are the decoder's to report
		}
		i += 5
		switch {
		case r == 0:
			return faultNul
		case r >= 0xDC00 && r <= 0xDFFF:
			return faultInvalidUTF8
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return faultInvalidUTF8
			}
			lo, ok := hex4(raw, i+3)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return faultInvalidUTF8
			}
			i += 6
		}
	}
	return 0
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(v), err == nil
}

// canonicalJSON rewrites a JSON body with sorted keys and no insignificant
// whitespace, so that an idempotent retry that differs only in formatting or
// key order is recognised as the same request. Numbers keep their text.
func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The filter language of RFC 7644 §3.4.2.2, parsed by a tokenizer and a
// recursive-descent parser. Precedence: not binds tighter than and, and than
// or; parentheses group. Attribute names, operators and keywords are
// case-insensitive.
//
//	FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")" / "(" FILTER ")"
//	valuePath = attrPath "[" valFilter "]" [ "." subAttr compareOp compValue ]
//	attrExp   = attrPath "pr" / attrPath compareOp compValue
//	attrPath  = [URI ":"] ATTRNAME *1("." subAttr)
//
// The optional tail of valuePath (emails[type eq "work"].value eq "x") is not
// in the RFC's grammar but Microsoft Entra sends it; it means "some element
// matches the bracket filter and has that sub-attribute value".

// Expr is a parsed filter.
type Expr interface{ String() string }

// Path names an attribute: [URN:]attr[.sub], optionally with a value filter
// (a PATCH path such as members[value eq "42"] or emails[type eq "work"].value).
type Path struct {
	URN    string
	Attr   string // empty when the path is a whole extension (its URN)
	Sub    string
	Filter Expr
}

func (p Path) String() string {
	var b strings.Builder
	if p.URN != "" {
		b.WriteString(p.URN)
		if p.Attr != "" {
			b.WriteByte(':')
		}
	}
	b.WriteString(p.Attr)
	if p.Filter != nil {
		b.WriteString("[" + p.Filter.String() + "]")
	}
	if p.Sub != "" {
		b.WriteString("." + p.Sub)
	}
	return b.String()
}

// Logical is "and" or "or".
type Logical struct {
	Op   string
	L, R Expr
}

func (l *Logical) String() string { return "(" + l.L.String() + " " + l.Op + " " + l.R.String() + ")" }

// Not negates.
type Not struct{ X Expr }

func (n *Not) String() string { return "not (" + n.X.String() + ")" }

// Compare is attrPath op value, or attrPath pr (Value unused).
type Compare struct {
	Path  Path
	Op    string // eq ne co sw ew gt ge lt le pr
	Value any    // string, float64, bool or nil
}

func (c *Compare) String() string {
	if c.Op == "pr" {
		return c.Path.String() + " pr"
	}
	v, _ := json.Marshal(c.Value)
	return c.Path.String() + " " + c.Op + " " + string(v)
}

// ValueFilter is attrPath[filter]: some element of a multi-valued (or the
// value of a single complex) attribute matches Filter, whose paths are
// sub-attributes.
type ValueFilter struct {
	Path   Path
	Filter Expr
}

func (v *ValueFilter) String() string { return v.Path.String() + "[" + v.Filter.String() + "]" }

const (
	maxFilterLen   = 4096
	maxFilterDepth = 32
)

var compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true, "gt": true, "ge": true, "lt": true, "le": true}

// ParseFilter parses a filter expression.
func ParseFilter(s string) (Expr, error) {
	if len(s) > maxFilterLen {
		return nil, badRequest(errInvalidFilter, "the filter is longer than %d characters", maxFilterLen)
	}
	p, err := newParser(s)
	if err != nil {
		return nil, badRequest(errInvalidFilter, "%v", err)
	}
	e, err := p.or(0, false)
	if err == nil && !p.done() {
		err = p.errorf("unexpected %s", p.peek())
	}
	if err != nil {
		return nil, badRequest(errInvalidFilter, "%v", err)
	}
	return e, nil
}

// ParsePath parses a PATCH path: attrPath, or valuePath with an optional
// sub-attribute.
func ParsePath(s string) (Path, error) {
	p, err := newParser(s)
	if err == nil {
		var path Path
		path, err = p.path(0)
		if err == nil && !p.done() {
			err = p.errorf("unexpected %s", p.peek())
		}
		if err == nil {
			return path, nil
		}
	}
	return Path{}, badRequest(errInvalidPath, "path %q: %v", s, err)
}

type tokKind int

const (
	tokWord tokKind = iota // attribute path, keyword, operator, true/false/null, number
	tokString
	tokPunct // ( ) [ ]
)

type token struct {
	kind tokKind
	text string // word text, the decoded string, or the punctuation
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokString:
		return strconv.Quote(t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

type parser struct {
	toks []token
	i    int
	src  string
}

func newParser(s string) (*parser, error) {
	p := &parser{src: s}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			p.toks = append(p.toks, token{tokPunct, string(c), i})
			i++
		case c == '"':
			j, text, err := scanString(s, i)
			if err != nil {
				return nil, err
			}
			p.toks = append(p.toks, token{tokString, text, i})
			i = j
		case isWordChar(c):
			j := i
			for j < len(s) && isWordChar(s[j]) {
				j++
			}
			p.toks = append(p.toks, token{tokWord, s[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at %d", c, i)
		}
	}
	return p, nil
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '$' || c == ':' || c == '.' || c == '+'
}

// scanString reads a JSON string starting at s[i] == '"'.
func scanString(s string, i int) (int, string, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			var out string
			if err := json.Unmarshal([]byte(s[i:j+1]), &out); err != nil {
				return 0, "", fmt.Errorf("bad string at %d: %v", i, err)
			}
			return j + 1, out, nil
		}
	}
	return 0, "", fmt.Errorf("unterminated string at %d", i)
}

func (p *parser) done() bool { return p.i >= len(p.toks) }

func (p *parser) peek() token {
	if p.done() {
		return token{kind: tokPunct, text: "end of filter", pos: len(p.src)}
	}
	return p.toks[p.i]
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at %d: %s", p.peek().pos, fmt.Sprintf(format, args...))
}

func (p *parser) isWord(w string) bool {
	return !p.done() && p.toks[p.i].kind == tokWord && strings.EqualFold(p.toks[p.i].text, w)
}

func (p *parser) isPunct(c string) bool {
	return !p.done() && p.toks[p.i].kind == tokPunct && p.toks[p.i].text == c
}

func (p *parser) expect(c string) error {
	if !p.isPunct(c) {
		return p.errorf("expected %q, found %s", c, p.peek())
	}
	p.i++
	return nil
}

// or parses FILTER; inBrackets forbids nested value filters.
func (p *parser) or(depth int, inBrackets bool) (Expr, error) {
	if depth > maxFilterDepth {
		return nil, p.errorf("the filter nests too deeply")
	}
	l, err := p.and(depth, inBrackets)
	for err == nil && p.isWord("or") {
		p.i++
		var r Expr
		if r, err = p.and(depth, inBrackets); err == nil {
			l = &Logical{Op: "or", L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) and(depth int, inBrackets bool) (Expr, error) {
	l, err := p.unary(depth, inBrackets)
	for err == nil && p.isWord("and") {
		p.i++
		var r Expr
		if r, err = p.unary(depth, inBrackets); err == nil {
			l = &Logical{Op: "and", L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) unary(depth int, inBrackets bool) (Expr, error) {
	if p.isWord("not") {
		p.i++
		if !p.isPunct("(") {
			return nil, p.errorf(`"not" must be followed by "("`)
		}
		x, err := p.unary(depth+1, inBrackets)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	}
	if p.isPunct("(") {
		p.i++
		x, err := p.or(depth+1, inBrackets)
		if err != nil {
			return nil, err
		}
		return x, p.expect(")")
	}
	return p.attrExp(depth, inBrackets)
}

func (p *parser) attrExp(depth int, inBrackets bool) (Expr, error) {
	t := p.peek()
	if t.kind != tokWord {
		return nil, p.errorf("expected an attribute, found %s", t)
	}
	path, err := p.attrPath()
	if err != nil {
		return nil, err
	}
	if p.isPunct("[") {
		if inBrackets {
			return nil, p.errorf("value filters cannot nest")
		}
		p.i++
		inner, err := p.or(depth+1, true)
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		vf := &ValueFilter{Path: path, Filter: inner}
		if p.done() || p.peek().kind != tokWord || !strings.HasPrefix(p.peek().text, ".") {
			return vf, nil
		}
		sub := strings.TrimPrefix(p.peek().text, ".")
		if !validName(sub) {
			return nil, p.errorf("bad sub-attribute %q", sub)
		}
		p.i++
		c, err := p.comparison(Path{Attr: sub})
		if err != nil {
			return nil, err
		}
		vf.Filter = &Logical{Op: "and", L: inner, R: c}
		return vf, nil
	}
	return p.comparison(path)
}

func (p *parser) comparison(path Path) (Expr, error) {
	t := p.peek()
	op := strings.ToLower(t.text)
	if t.kind != tokWord || (op != "pr" && !compareOps[op]) {
		return nil, p.errorf("expected an operator (eq ne co sw ew gt ge lt le pr) after %s, found %s", path, t)
	}
	p.i++
	if op == "pr" {
		return &Compare{Path: path, Op: op}, nil
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}

func (p *parser) value() (any, error) {
	t := p.peek()
	if p.done() {
		return nil, p.errorf("expected a value, found the end of the filter")
	}
	p.i++
	if t.kind == tokString {
		return t.text, nil
	}
	if t.kind == tokWord {
		switch strings.ToLower(t.text) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		if n, err := strconv.ParseFloat(t.text, 64); err == nil {
			return n, nil
		}
	}
	p.i--
	return nil, p.errorf("expected a value (string, number, true, false or null), found %s", t)
}

// attrPath reads one word as [URN:]attr[.sub].
func (p *parser) attrPath() (Path, error) {
	t := p.peek()
	p.i++
	path, err := splitPath(t.text)
	if err != nil {
		p.i--
		return Path{}, p.errorf("%v", err)
	}
	return path, nil
}

// path parses a PATCH path.
func (p *parser) path(depth int) (Path, error) {
	if p.peek().kind != tokWord {
		return Path{}, p.errorf("expected an attribute, found %s", p.peek())
	}
	path, err := p.attrPath()
	if err != nil || !p.isPunct("[") {
		return path, err
	}
	if path.Sub != "" {
		return Path{}, p.errorf("a value filter follows an attribute, not a sub-attribute")
	}
	p.i++
	if path.Filter, err = p.or(depth+1, true); err != nil {
		return Path{}, err
	}
	if err := p.expect("]"); err != nil {
		return Path{}, err
	}
	if !p.done() && p.peek().kind == tokWord && strings.HasPrefix(p.peek().text, ".") {
		path.Sub = strings.TrimPrefix(p.peek().text, ".")
		p.i++
		if !validName(path.Sub) {
			return Path{}, p.errorf("bad sub-attribute %q", path.Sub)
		}
	}
	return path, nil
}

// splitPath splits "urn:...:User:manager.value" or "name.givenName".
func splitPath(w string) (Path, error) {
	var p Path
	rest := w
	if len(w) > 4 && strings.EqualFold(w[:4], "urn:") {
		if s := knownSchema(w); s != "" {
			return Path{URN: s}, nil // the whole extension
		}
		i := strings.LastIndexByte(w, ':')
		p.URN, rest = w[:i], w[i+1:]
		if s := knownSchema(p.URN); s != "" {
			p.URN = s
		}
	}
	p.Attr, p.Sub, _ = strings.Cut(rest, ".")
	if !validName(p.Attr) || (p.Sub != "" && !validName(p.Sub)) || strings.Contains(p.Sub, ".") {
		return Path{}, fmt.Errorf("bad attribute path %q", w)
	}
	return p, nil
}

// knownSchema returns the canonical form of a schema URN we know.
func knownSchema(urn string) string {
	for _, s := range []string{URNUser, URNGroup, URNEnterprise} {
		if strings.EqualFold(urn, s) {
			return s
		}
	}
	return ""
}

// validName checks ATTRNAME (ALPHA *(ALPHA / DIGIT / "-" / "_")), plus $ref.
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

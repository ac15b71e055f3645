// Package directory owns people and their organisation: users, and (with
// later features) groups, memberships and custom attribute definitions.
package directory

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/fault"
)

// Languages a user's interface can be in. The first seven are Konstantly's.
var Languages = []string{"de", "en", "es", "fr", "pl", "pt", "ru", "it", "nl", "uk", "tr", "ja", "zh"}

// Roles a user can hold.
var Roles = []string{"learner", "manager", "admin"}

// Status values of a user.
const (
	StatusActive      = "active"
	StatusDeactivated = "deactivated"
)

// Language is a language code from Languages.
type Language string

// TransformSchema lists the allowed codes in the OpenAPI document and catalog.
func (Language) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	s.Enum = enumOf(Languages)
	return s
}

// Role is a role alias from Roles.
type Role string

// TransformSchema lists the allowed roles in the OpenAPI document and catalog.
func (Role) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	s.Enum = enumOf(Roles)
	return s
}

func enumOf(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// RoleRef is Konstantly's role object.
type RoleRef struct {
	Alias string `json:"alias" example:"learner"`
}

// User is a person in a workspace, as the API shows it (Konstantly's shape,
// camelCase). The password is never part of it.
type User struct {
	ID               string         `json:"id" doc:"Opaque user id, unique in the workspace" example:"k3v9q2m8x1c7z5b4"`
	Name             string         `json:"name" example:"Ada Lovelace"`
	DisplayName      string         `json:"displayName"`
	Email            string         `json:"email" format:"email" example:"ada@example.com"`
	Role             RoleRef        `json:"role"`
	RoleAlias        string         `json:"roleAlias" example:"learner"`
	Language         string         `json:"language" example:"en"`
	Timezone         string         `json:"timezone" example:"Europe/London"`
	Occupation       string         `json:"occupation"`
	Location         string         `json:"location"`
	Status           string         `json:"status" enum:"active,deactivated"`
	IsBanned         bool           `json:"isBanned" doc:"True when deactivated (Konstantly's name)"`
	FromAPI          bool           `json:"fromApi"`
	HasPassword      bool           `json:"hasPassword"`
	Image            *Image         `json:"image" doc:"Avatar; always null for now"`
	CustomAttributes map[string]any `json:"customAttributes"`
	Attributes       map[string]any `json:"attributes" doc:"Same as customAttributes (Konstantly's name)"`
	CreatedAt        int64          `json:"createdAt" doc:"Unix seconds"`
	UpdatedAt        int64          `json:"updatedAt" doc:"Unix seconds"`
}

// userRow is a users row.
type userRow struct {
	pk           int64
	workspaceID  int64
	publicID     string
	name         string
	displayName  string
	email        string
	role         string
	language     string
	timezone     string
	occupation   string
	location     string
	bio          string
	fromAPI      bool
	status       string
	passwordHash *string
	attributes   map[string]any
	createdAt    time.Time
	updatedAt    time.Time
}

func (r *userRow) view() User {
	attrs := r.attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return User{
		ID: r.publicID, Name: r.name, DisplayName: r.displayName, Email: r.email,
		Role: RoleRef{Alias: r.role}, RoleAlias: r.role, Language: r.language, Timezone: r.timezone,
		Occupation: r.occupation, Location: r.location, Status: r.status,
		IsBanned: r.status == StatusDeactivated, FromAPI: r.fromAPI, HasPassword: r.passwordHash != nil,
		CustomAttributes: attrs, Attributes: attrs,
		CreatedAt: r.createdAt.Unix(), UpdatedAt: r.updatedAt.Unix(),
	}
}

var (
	userIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	attrKeyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
)

const (
	maxNameLen   = 200
	maxTextLen   = 500
	maxBioLen    = 5000
	maxAttrs     = 100
	maxAttrValue = 2000
)

// normalizeEmail checks an address and returns it trimmed plus its
// lower-cased form, which is what uniqueness is judged on.
func normalizeEmail(f *fault.Fields, field, email string) (string, string) {
	email = strings.TrimSpace(email)
	if !ValidEmail(email) {
		f.Add(field, "must be a valid email address like name@example.com")
		return email, ""
	}
	return email, strings.ToLower(email)
}

// ValidEmail reports an address Roster accepts: one plain address (no
// display name), at most 254 bytes, with a deliverable domain. The OpenAPI
// document's "email" format means this.
func ValidEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email && len(email) <= 254 && mailDomain(email[strings.LastIndexByte(email, '@')+1:])
}

// mailDomain reports a domain mail can be delivered to: at least two
// dot-separated labels of letters (any script), digits and inner hyphens.
// net/mail alone accepts "a@!000000.000", which no client's email format
// check (nor any mail server) would.
func mailDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

func checkText(f *fault.Fields, field, value string, min, max int) string {
	value = strings.TrimSpace(value)
	n := utf8.RuneCountInString(value)
	if n < min || n > max {
		if min > 0 {
			f.Add(field, "must be %d to %d characters", min, max)
		} else {
			f.Add(field, "must be at most %d characters", max)
		}
	}
	return value
}

func checkOneOf(f *fault.Fields, field, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		f.Add(field, "must be one of %s", strings.Join(allowed, ", "))
	}
}

func checkTimezone(f *fault.Fields, field, tz string) {
	if tz == "" || tz == "Local" || strings.HasPrefix(tz, "/") {
		f.Add(field, "must be an IANA time zone such as Europe/London")
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		f.Add(field, "must be an IANA time zone such as Europe/London")
	}
}

// checkAttributes validates custom attribute values: simple keys, values that
// are strings, numbers, booleans, null, or lists of those.
func checkAttributes(f *fault.Fields, field string, attrs map[string]any) {
	if len(attrs) > maxAttrs {
		f.Add(field, "must have at most %d attributes", maxAttrs)
		return
	}
	for k, v := range attrs {
		path := field + "." + k
		if !attrKeyPattern.MatchString(k) {
			f.Add(path, "attribute keys start with a letter and use letters, digits, _ . - (at most 64)")
			continue
		}
		if msg := checkAttrValue(v, true); msg != "" {
			f.Add(path, "%s", msg)
		}
	}
}

func checkAttrValue(v any, allowList bool) string {
	switch x := v.(type) {
	case nil, bool, float64, int, int64:
		return ""
	case string:
		if utf8.RuneCountInString(x) > maxAttrValue {
			return "text values are at most 2000 characters"
		}
		return ""
	case []any:
		if !allowList {
			return "lists cannot be nested"
		}
		for _, item := range x {
			if msg := checkAttrValue(item, false); msg != "" {
				return msg
			}
		}
		return ""
	default:
		return "must be a string, number, boolean, null or a list of those"
	}
}

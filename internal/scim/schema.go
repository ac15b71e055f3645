// Package scim is Roster's SCIM 2.0 face (RFC 7643 schema, RFC 7644
// protocol) at /scim/v2, for identity providers such as Okta and Microsoft
// Entra ID. It holds no business rules: every write calls the canonical
// operations (users.create, groups.add_users, ...) so that events, webhooks
// and workflows fire exactly as for the REST API. It owns only the SCIM
// mapping, the filter language, PATCH, and two side tables for what SCIM
// carries and Roster has no field for (externalId, names as sent).
package scim

import "strings"

// Schema and message URNs.
const (
	URNUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	urnList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	urnError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	urnPatch      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	urnSearch     = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	urnSPC        = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	urnRT         = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	urnSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Attribute types (RFC 7643 §2.3).
const (
	tString    = "string"
	tBoolean   = "boolean"
	tDecimal   = "decimal"
	tInteger   = "integer"
	tDateTime  = "dateTime"
	tReference = "reference"
	tComplex   = "complex"
)

// Attr is an attribute definition as /Schemas shows it. The same
// definitions drive input normalisation (case-insensitive names, Entra's
// string booleans), filter evaluation (caseExact, types) and projection.
type Attr struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	MultiValued     bool     `json:"multiValued"`
	Description     string   `json:"description,omitempty"`
	Required        bool     `json:"required"`
	CaseExact       bool     `json:"caseExact"`
	Mutability      string   `json:"mutability"`
	Returned        string   `json:"returned"`
	Uniqueness      string   `json:"uniqueness"`
	CanonicalValues []string `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attr  `json:"subAttributes,omitempty"`
}

// sub returns the sub-attribute named name, case-insensitively.
func (a *Attr) sub(name string) *Attr {
	for _, s := range a.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Schema is a schema definition.
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []*Attr
}

func (s *Schema) attr(name string) *Attr {
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// resourceType describes Users or Groups.
type resourceType struct {
	Name       string
	Endpoint   string
	Core       *Schema
	Extensions []*Schema
}

// schemaFor returns the core schema or an extension by URN
// (case-insensitively), or nil.
func (rt *resourceType) schemaFor(urn string) *Schema {
	if strings.EqualFold(urn, rt.Core.ID) {
		return rt.Core
	}
	for _, e := range rt.Extensions {
		if strings.EqualFold(urn, e.ID) {
			return e
		}
	}
	return nil
}

// lookup finds the definition of a top-level attribute. urn may be empty
// (core and common attributes; then, leniently, a unique extension attribute).
// It returns the canonical URN ("" for core and common attributes).
func (rt *resourceType) lookup(urn, name string) (string, *Attr) {
	if urn != "" {
		s := rt.schemaFor(urn)
		if s == nil {
			return "", nil
		}
		if s == rt.Core {
			return "", s.attr(name)
		}
		return s.ID, s.attr(name)
	}
	if a := rt.Core.attr(name); a != nil {
		return "", a
	}
	if a := commonSchema.attr(name); a != nil {
		return "", a
	}
	for _, e := range rt.Extensions {
		if a := e.attr(name); a != nil {
			return e.ID, a
		}
	}
	return "", nil
}

func str(name, desc string, opts ...func(*Attr)) *Attr {
	a := &Attr{Name: name, Type: tString, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
	for _, o := range opts {
		o(a)
	}
	return a
}

func typed(t string) func(*Attr)        { return func(a *Attr) { a.Type = t } }
func caseExact(a *Attr)                 { a.CaseExact = true }
func required(a *Attr)                  { a.Required = true }
func multi(a *Attr)                     { a.MultiValued = true }
func readOnly(a *Attr)                  { a.Mutability = "readOnly" }
func always(a *Attr)                    { a.Returned = "always" }
func serverUnique(a *Attr)              { a.Uniqueness = "server" }
func subs(s ...*Attr) func(*Attr)       { return func(a *Attr) { a.Type = tComplex; a.SubAttributes = s } }
func canonical(v ...string) func(*Attr) { return func(a *Attr) { a.CanonicalValues = v } }
func refs(v ...string) func(*Attr) {
	return func(a *Attr) { a.Type = tReference; a.ReferenceTypes = v }
}

// commonSchema holds the attributes every resource has (RFC 7643 §3.1). It
// is not a schema of its own and is not listed at /Schemas.
var commonSchema = &Schema{Attributes: []*Attr{
	str("id", "Roster's id of the resource", caseExact, readOnly, always, serverUnique),
	str("externalId", "The provisioning client's id of the resource, kept as sent", caseExact),
	str("meta", "Resource metadata", readOnly, subs(
		str("resourceType", "", caseExact, readOnly),
		str("created", "", typed(tDateTime), readOnly),
		str("lastModified", "", typed(tDateTime), readOnly),
		str("location", "", refs("uri"), caseExact, readOnly),
		str("version", "", caseExact, readOnly),
	)),
}}

var userSchema = &Schema{ID: URNUser, Name: "User", Description: "A person in a Roster workspace", Attributes: []*Attr{
	str("userName", "The person's email address: Roster identifies people by email. Unique, case-insensitive.", required, serverUnique),
	str("name", "The person's name. Roster keeps one full name (formatted); the parts are shown as sent while it is unchanged.", subs(
		str("formatted", "Full name"),
		str("familyName", ""),
		str("givenName", ""),
		str("middleName", ""),
		str("honorificPrefix", ""),
		str("honorificSuffix", ""),
	)),
	str("displayName", "Name shown in Roster"),
	str("title", "Job title (Roster's occupation)"),
	str("preferredLanguage", "Interface language, e.g. en-US; Roster keeps the language part when it supports it"),
	str("locale", "Locale, e.g. en-US; read like preferredLanguage when that is absent"),
	str("timezone", "IANA time zone, e.g. Europe/London"),
	str("active", "False deactivates the user (data is kept); true reactivates", typed(tBoolean)),
	{Name: "password", Type: tString, Description: "Sign-in password; checked against Roster's password rules and stored hashed",
		Mutability: "writeOnly", Returned: "never", Uniqueness: "none"},
	str("emails", "Roster keeps one email, the userName; it is shown as the primary work email", multi, subs(
		str("value", ""),
		str("type", "", canonical("work", "home", "other")),
		str("primary", "", typed(tBoolean)),
		str("display", ""),
	)),
}}

var enterpriseSchema = &Schema{ID: URNEnterprise, Name: "EnterpriseUser",
	Description: "Enterprise user; each attribute is kept in the user's custom attribute of the same name", Attributes: []*Attr{
		str("employeeNumber", "Custom attribute employeeNumber"),
		str("costCenter", "Custom attribute costCenter"),
		str("organization", "Custom attribute organization"),
		str("division", "Custom attribute division"),
		str("department", "Custom attribute department"),
		str("manager", "The manager's user id, kept in custom attribute manager", subs(
			str("value", "", caseExact),
			str("$ref", "", refs("User"), caseExact, readOnly),
			str("displayName", "", readOnly),
		)),
	}}

var groupSchema = &Schema{ID: URNGroup, Name: "Group", Description: "A group of users in a Roster workspace", Attributes: []*Attr{
	str("displayName", "The group's name; unique in the workspace (case-insensitive) for groups made over SCIM", required),
	str("members", "Direct members; value is a user id", multi, subs(
		str("value", "", caseExact),
		str("$ref", "", refs("User"), caseExact, readOnly),
		str("display", "", readOnly),
		str("type", "", canonical("User"), readOnly),
	)),
}}

var (
	usersType  = &resourceType{Name: "User", Endpoint: "/Users", Core: userSchema, Extensions: []*Schema{enterpriseSchema}}
	groupsType = &resourceType{Name: "Group", Endpoint: "/Groups", Core: groupSchema}
)

// enterpriseKeys maps the enterprise attributes to custom attribute keys.
var enterpriseKeys = []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"}

package scim

import (
	"fmt"
	"maps"
	"net/mail"
	"reflect"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/directory"
)

// Mapping between Roster users and SCIM User resources:
//
//	emails[primary].value       ↔ email (Roster identifies people by email)
//	userName                    ↔ email, or scim_users.user_name when the
//	                              identity provider's userName is not the email
//	name.formatted              ↔ name (parts shown as sent while the name is unchanged)
//	displayName                 ↔ displayName (absent when unassigned)
//	title                       ↔ occupation
//	preferredLanguage / locale  ↔ language (en-US → en; unsupported → unchanged)
//	timezone                    ↔ timezone
//	active                      ↔ status (false deactivates, never deletes)
//	externalId                  ↔ scim_users.external_id
//	enterprise employeeNumber, costCenter, organization, division,
//	department, manager.value   ↔ customAttributes of the same names

// renderUser returns the full SCIM form without meta.
func renderUser(r *userRec) map[string]any {
	res := map[string]any{"schemas": []any{URNUser}, "id": r.id, "userName": r.email}
	if r.userName != nil {
		res["userName"] = *r.userName
	}
	if r.externalID != nil {
		res["externalId"] = *r.externalID
	}
	res["name"] = nameOf(r)
	if r.displayName != "" {
		// Unassigned stays unassigned (a PATCH remove must read back as
		// removed), rather than showing the name in its place.
		res["displayName"] = r.displayName
	}
	if r.occupation != "" {
		res["title"] = r.occupation
	}
	res["preferredLanguage"] = r.language
	if e, ok := r.echo["preferredLanguage"]; ok && e.Basis == r.language {
		res["preferredLanguage"] = e.Value
	}
	if e, ok := r.echo["locale"]; ok && e.Basis == r.language {
		res["locale"] = e.Value
	}
	res["timezone"] = r.timezone
	res["active"] = r.status == directory.StatusActive
	res["emails"] = []any{map[string]any{"value": r.email, "type": "work", "primary": true}}
	ent := map[string]any{}
	for _, k := range enterpriseKeys {
		s := attrText(r.attrs[k])
		if s == "" {
			continue
		}
		if k == "manager" {
			ent[k] = map[string]any{"value": s}
		} else {
			ent[k] = s
		}
	}
	if len(ent) > 0 {
		res[URNEnterprise] = ent
		res["schemas"] = []any{URNUser, URNEnterprise}
	}
	return res
}

// nameOf returns the name complex: as sent while the Roster name is the
// one it was mapped to, else derived from the full name.
func nameOf(r *userRec) map[string]any {
	if e, ok := r.echo["name"]; ok && e.Basis == r.name {
		if m, ok := e.Value.(map[string]any); ok {
			out := maps.Clone(m)
			out["formatted"] = r.name
			return out
		}
	}
	out := map[string]any{"formatted": r.name}
	if i := strings.LastIndexByte(r.name, ' '); i > 0 {
		out["givenName"], out["familyName"] = r.name[:i], r.name[i+1:]
	} else {
		out["givenName"] = r.name
	}
	return out
}

func attrText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any:
		s, _ := x["value"].(string)
		return s
	}
	return fmt.Sprint(v)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// userWant is the state a SCIM resource asks for. Empty language and
// timezone and nil active mean "leave as it is" (not asserted).
type userWant struct {
	userName                             string
	email, name, displayName, occupation string
	language, timezone                   string
	active                               *bool
	externalID                           *string
	echo                                 map[string]echo
	ent                                  map[string]any // key → text, nil to remove
	password                             *string
}

// wantUser reads the wanted state from a normalised resource. cur is the
// user as it is (nil on create): a name part changed relative to it wins
// over an unchanged name.formatted that a client sent along.
func wantUser(res map[string]any, cur *userRec) (userWant, error) {
	var w userWant
	w.userName, _ = res["userName"].(string)
	w.userName = strings.TrimSpace(w.userName)
	if w.userName == "" {
		return w, badRequest(errInvalidValue, "userName is required")
	}
	w.email = primaryEmail(res["emails"])
	if w.email == "" {
		w.email = w.userName
	}
	if _, err := mail.ParseAddress(w.email); err != nil {
		if w.email == w.userName {
			return w, badRequest(errInvalidValue, "userName: %q is not an email address, and emails holds none: Roster needs one", w.email)
		}
		return w, badRequest(errInvalidValue, "emails: %q is not an email address", w.email)
	}
	w.displayName, _ = res["displayName"].(string)
	w.occupation, _ = res["title"].(string)
	if s, ok := res["externalId"].(string); ok {
		w.externalID = &s
	}
	if b, ok := res["active"].(bool); ok {
		w.active = &b
	}
	if s, ok := res["password"].(string); ok {
		w.password = &s
	}
	if s, ok := res["timezone"].(string); ok {
		w.timezone = strings.TrimSpace(s)
	}
	w.echo = map[string]echo{}
	nm, _ := res["name"].(map[string]any)
	w.name = pickName(nm, cur, w.displayName, w.email)
	// Keep the parts only when they say more than the full name does.
	if parts := nameParts(nm); len(parts) > 0 && !reflect.DeepEqual(parts, nameParts(nameOf(&userRec{name: w.name}))) {
		parts["formatted"] = w.name
		w.echo["name"] = echo{Value: parts, Basis: w.name}
	}
	pref, _ := res["preferredLanguage"].(string)
	loc, _ := res["locale"].(string)
	w.language = languageOf(pref)
	if w.language == "" {
		w.language = languageOf(loc)
	}
	basis := w.language
	if basis == "" {
		basis = "en"
		if cur != nil {
			basis = cur.language
		}
	}
	if pref != "" && pref != basis {
		w.echo["preferredLanguage"] = echo{Value: pref, Basis: basis}
	}
	if loc != "" {
		w.echo["locale"] = echo{Value: loc, Basis: basis}
	}
	ent, _ := res[URNEnterprise].(map[string]any)
	w.ent = map[string]any{}
	for _, k := range enterpriseKeys {
		if s := attrText(ent[k]); s != "" {
			w.ent[k] = s
		} else {
			w.ent[k] = nil
		}
	}
	return w, nil
}

func text(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return strings.TrimSpace(s)
}

// nameParts returns the name's parts other than formatted, or nil.
func nameParts(nm map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"givenName", "middleName", "familyName", "honorificPrefix", "honorificSuffix"} {
		if s := text(nm, k); s != "" {
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func joinParts(nm map[string]any) string {
	var parts []string
	for _, k := range []string{"givenName", "middleName", "familyName"} {
		if s := text(nm, k); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func pickName(nm map[string]any, cur *userRec, displayName, email string) string {
	formatted, joined := text(nm, "formatted"), joinParts(nm)
	if cur != nil {
		was := nameOf(cur)
		switch {
		case formatted != "" && formatted != cur.name:
			return formatted
		case joined != "" && joined != joinParts(was):
			return joined
		case formatted == "" && joined == "":
			return cur.name // Roster needs a name; an IdP that sends none keeps it
		}
	}
	for _, s := range []string{formatted, joined, strings.TrimSpace(displayName)} {
		if s != "" {
			return s
		}
	}
	local, _, _ := strings.Cut(email, "@")
	return local
}

// languageOf maps a language tag (en-US, pt_BR, de) to a Roster language,
// or "" when Roster does not support it.
func languageOf(tag string) string {
	primary := strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(primary, "-_"); i >= 0 {
		primary = primary[:i]
	}
	if slices.Contains(directory.Languages, primary) {
		return primary
	}
	return ""
}

// create returns the users.create input.
func (w userWant) create() directory.UserCreate {
	in := directory.UserCreate{Name: w.name, DisplayName: w.displayName, Email: w.email,
		Language: directory.Language(w.language), Timezone: w.timezone, Occupation: w.occupation}
	if w.password != nil {
		in.Password = *w.password
	}
	for k, v := range w.ent {
		if v != nil {
			if in.CustomAttributes == nil {
				in.CustomAttributes = map[string]any{}
			}
			in.CustomAttributes[k] = v
		}
	}
	return in
}

// update returns the users.update input that takes cur to w, and whether
// anything changes.
func (w userWant) update(cur *userRec) (directory.UserUpdate, bool) {
	var u directory.UserUpdate
	changed := false
	setText := func(dst **string, want, have string) {
		if want != have {
			v := want
			*dst, changed = &v, true
		}
	}
	setText(&u.Email, w.email, cur.email)
	setText(&u.Name, w.name, cur.name)
	setText(&u.DisplayName, w.displayName, cur.displayName)
	setText(&u.Occupation, w.occupation, cur.occupation)
	if w.timezone != "" {
		setText(&u.Timezone, w.timezone, cur.timezone)
	}
	if w.language != "" && w.language != cur.language {
		l := directory.Language(w.language)
		u.Language, changed = &l, true
	}
	if w.password != nil {
		u.Password, changed = w.password, true
	}
	for k, v := range w.ent {
		have, ok := cur.attrs[k]
		if (v == nil && ok) || (v != nil && attrText(have) != v) {
			if u.CustomAttributes == nil {
				u.CustomAttributes = map[string]any{}
			}
			u.CustomAttributes[k] = v
			changed = true
		}
	}
	return u, changed
}

// primaryEmail picks the email Roster keeps: the primary one, else the
// work one, else the first.
func primaryEmail(v any) string {
	els := elements(v)
	pick := func(ok func(map[string]any) bool) string {
		for _, el := range els {
			if s, _ := el["value"].(string); s != "" && ok(el) {
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	if s := pick(func(el map[string]any) bool { b, _ := el["primary"].(bool); return b }); s != "" {
		return s
	}
	if s := pick(func(el map[string]any) bool { t, _ := el["type"].(string); return strings.EqualFold(t, "work") }); s != "" {
		return s
	}
	return pick(func(map[string]any) bool { return true })
}

// side returns the scim_users row w asks for. The userName is kept only
// when it is not exactly the email.
func (w userWant) side() userSide {
	sd := userSide{externalID: w.externalID, echo: w.echo}
	if w.userName != w.email {
		u := w.userName
		sd.userName = &u
	}
	return sd
}

// sideChanged reports whether the scim_users row must be written.
func (w userWant) sideChanged(cur *userRec) bool {
	sd := w.side()
	if cur.scimUpdated == 0 {
		return sd.externalID != nil || sd.userName != nil || len(sd.echo) > 0
	}
	return !reflect.DeepEqual(sd.externalID, cur.externalID) || !reflect.DeepEqual(sd.userName, cur.userName) ||
		!echoEqual(sd.echo, cur.echo)
}

func echoEqual(a, b map[string]echo) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		o, ok := b[k]
		if !ok || o.Basis != v.Basis || fmt.Sprint(o.Value) != fmt.Sprint(v.Value) {
			return false
		}
	}
	return true
}

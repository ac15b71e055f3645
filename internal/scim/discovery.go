package scim

import (
	"net/http"
	"strings"
)

// Discovery endpoints (RFC 7644 §4): static documents describing what this
// face supports. They ignore paging and refuse a filter.

func (s *Server) serviceProviderConfig(rq *request) error {
	writeJSON(rq.w, http.StatusOK, map[string]any{
		"schemas":          []string{urnSPC},
		"documentationUri": "https://github.com/rosterhq/roster/blob/main/internal/scim/README.md",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": s.maxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "A Roster API key with the scim scope, sent as Authorization: Bearer <key>.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": rq.base + "/ServiceProviderConfig"},
	})
	return nil
}

func resourceTypeDoc(rt *resourceType, base string) map[string]any {
	exts := []any{}
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	return map[string]any{
		"schemas": []string{urnRT}, "id": rt.Name, "name": rt.Name, "endpoint": rt.Endpoint,
		"description": rt.Core.Description, "schema": rt.Core.ID, "schemaExtensions": exts,
		"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + rt.Name},
	}
}

func (s *Server) resourceTypes(rq *request, rest []string) error {
	all := []*resourceType{usersType, groupsType}
	if len(rest) == 1 {
		for _, rt := range all {
			if strings.EqualFold(rest[0], rt.Name) {
				writeJSON(rq.w, http.StatusOK, resourceTypeDoc(rt, rq.base))
				return nil
			}
		}
		return notFound("no resource type %q", rest[0])
	}
	docs := make([]any, len(all))
	for i, rt := range all {
		docs[i] = resourceTypeDoc(rt, rq.base)
	}
	writeJSON(rq.w, http.StatusOK, listResponse(docs, len(docs), 1))
	return nil
}

func schemaDoc(sc *Schema, base string) map[string]any {
	return map[string]any{
		"schemas": []string{urnSchema}, "id": sc.ID, "name": sc.Name, "description": sc.Description,
		"attributes": sc.Attributes,
		"meta":       map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + sc.ID},
	}
}

func (s *Server) schemas(rq *request, rest []string) error {
	all := []*Schema{userSchema, enterpriseSchema, groupSchema}
	if len(rest) == 1 {
		for _, sc := range all {
			if strings.EqualFold(rest[0], sc.ID) {
				writeJSON(rq.w, http.StatusOK, schemaDoc(sc, rq.base))
				return nil
			}
		}
		return notFound("no schema %q", rest[0])
	}
	docs := make([]any, len(all))
	for i, sc := range all {
		docs[i] = schemaDoc(sc, rq.base)
	}
	writeJSON(rq.w, http.StatusOK, listResponse(docs, len(docs), 1))
	return nil
}

// listResponse is a ListResponse message.
func listResponse(resources []any, total, start int) map[string]any {
	if resources == nil {
		resources = []any{}
	}
	return map[string]any{"schemas": []string{urnList}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(resources), "Resources": resources}
}

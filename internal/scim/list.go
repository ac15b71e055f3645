package scim

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

// Listing: GET /Users and /Groups, and POST .search with the same
// parameters in a SearchRequest body. Resources are ordered by their
// creation (Roster's integer key), which stays stable while clients page.

type listParams struct {
	filter Expr
	start  int // 1-based
	count  int
	proj   projection
}

const scanBatch = 500

// listParamsOf reads the query string, or a SearchRequest body when body is
// not nil.
func (s *Server) listParamsOf(rq *request, body map[string]any) (listParams, error) {
	lp := listParams{start: 1, count: s.maxResults}
	get := func(name string) (string, bool) {
		if body != nil {
			for k, v := range body {
				if !strings.EqualFold(k, name) {
					continue
				}
				switch x := v.(type) {
				case string:
					return x, true
				case float64:
					return strconv.FormatFloat(x, 'f', -1, 64), true
				case []any:
					parts := make([]string, 0, len(x))
					for _, p := range x {
						if ps, ok := p.(string); ok {
							parts = append(parts, ps)
						}
					}
					return strings.Join(parts, ","), true
				}
			}
			return "", false
		}
		for k, v := range rq.r.URL.Query() {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0], true
			}
		}
		return "", false
	}
	if f, ok := get("filter"); ok && strings.TrimSpace(f) != "" {
		e, err := ParseFilter(f)
		if err != nil {
			return lp, err
		}
		lp.filter = e
	}
	if v, ok := get("startIndex"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return lp, badRequest(errInvalidValue, "startIndex must be a whole number")
		}
		lp.start = max(n, 1) // RFC 7644 §3.4.2.4: values below 1 mean 1
	}
	if v, ok := get("count"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return lp, badRequest(errInvalidValue, "count must be a whole number")
		}
		lp.count = min(max(n, 0), s.maxResults)
	}
	var err error
	attrs, _ := get("attributes")
	excluded, _ := get("excludedAttributes")
	if lp.proj.include, err = parseAttrList(attrs); err != nil {
		return lp, err
	}
	lp.proj.exclude, err = parseAttrList(excluded)
	return lp, err
}

func (s *Server) list(rq *request, users bool, body map[string]any) error {
	if body != nil && rq.r.URL.RawQuery != "" {
		// .search takes its parameters from the body only.
		rq.r.URL.RawQuery = ""
	}
	lp, err := s.listParamsOf(rq, body)
	if err != nil {
		return err
	}
	rt := usersType
	if !users {
		rt = groupsType
	}
	if lp.filter != nil {
		if err := checkFilter(lp.filter, rt, nil); err != nil {
			return err
		}
	}
	var page []any
	var total int
	if users {
		page, total, err = s.listUsers(rq.r.Context(), rq, lp)
	} else {
		page, total, err = s.listGroups(rq.r.Context(), rq, lp)
	}
	if err != nil {
		return err
	}
	writeJSON(rq.w, http.StatusOK, listResponse(page, total, lp.start))
	return nil
}

func (s *Server) tooMany() error {
	return badRequest(errTooMany, "this filter is evaluated one user or group at a time and would look at more than %d; "+
		"narrow it with an exact match Roster answers from its indexes (userName, externalId, emails.value or id eq)", s.maxScan)
}

func (s *Server) listUsers(ctx context.Context, rq *request, lp listParams) ([]any, int, error) {
	q := s.db.ReadIn(ctx)
	ws := rq.p.WorkspaceID
	tr := translate(lp.filter, usersType, userColumns)
	var recs []userRec
	total := 0
	if tr.exact {
		var err error
		if total, err = countUsers(ctx, q, ws, tr.where, tr.args); err != nil {
			return nil, 0, err
		}
		if lp.count > 0 && lp.start <= total {
			if recs, err = queryUsers(ctx, q, ws, tr.where, tr.args, 0, lp.count, lp.start-1); err != nil {
				return nil, 0, err
			}
		}
	} else {
		// Evaluate in Go over the SQL pre-filtered rows, in key order, in
		// batches; count every match, keep the requested window.
		var after int64
		scanned := 0
		for {
			batch, err := queryUsers(ctx, q, ws, tr.where, tr.args, after, scanBatch, 0)
			if err != nil {
				return nil, 0, err
			}
			for i := range batch {
				if scanned++; scanned > s.maxScan {
					return nil, 0, s.tooMany()
				}
				res, _ := fullUser(&batch[i], rq.base)
				if !matches(lp.filter, usersType, nil, res) {
					continue
				}
				total++
				if total >= lp.start && len(recs) < lp.count {
					recs = append(recs, batch[i])
				}
			}
			if len(batch) < scanBatch {
				break
			}
			after = batch[len(batch)-1].pk
		}
	}
	out := make([]any, len(recs))
	for i := range recs {
		res, _ := fullUser(&recs[i], rq.base)
		out[i] = lp.proj.apply(usersType, res)
	}
	return out, total, nil
}

func (s *Server) listGroups(ctx context.Context, rq *request, lp listParams) ([]any, int, error) {
	q := s.db.ReadIn(ctx)
	ws := rq.p.WorkspaceID
	tr := translate(lp.filter, groupsType, groupColumns)
	var recs []groupRec
	total := 0
	if tr.exact {
		var err error
		if total, err = countGroups(ctx, q, ws, tr.where, tr.args); err != nil {
			return nil, 0, err
		}
		if lp.count > 0 && lp.start <= total {
			if recs, err = queryGroups(ctx, q, ws, tr.where, tr.args, 0, lp.count, lp.start-1); err != nil {
				return nil, 0, err
			}
		}
	} else {
		needMembers := mentions(lp.filter, "members")
		var after int64
		scanned := 0
		for {
			batch, err := queryGroups(ctx, q, ws, tr.where, tr.args, after, scanBatch, 0)
			if err != nil {
				return nil, 0, err
			}
			if needMembers {
				if err := loadMembers(ctx, q, batch); err != nil {
					return nil, 0, err
				}
			}
			for i := range batch {
				if scanned++; scanned > s.maxScan {
					return nil, 0, s.tooMany()
				}
				res, _ := fullGroup(&batch[i], rq.base)
				if !matches(lp.filter, groupsType, nil, res) {
					continue
				}
				total++
				if total >= lp.start && len(recs) < lp.count {
					recs = append(recs, batch[i])
				}
			}
			if len(batch) < scanBatch {
				break
			}
			after = batch[len(batch)-1].pk
		}
	}
	if lp.proj.wants("members") {
		if err := loadMembers(ctx, q, recs); err != nil {
			return nil, 0, err
		}
	}
	out := make([]any, len(recs))
	for i := range recs {
		res, _ := fullGroup(&recs[i], rq.base)
		out[i] = lp.proj.apply(groupsType, res)
	}
	return out, total, nil
}

// mentions reports whether a filter refers to the top-level attribute.
func mentions(e Expr, attr string) bool {
	switch x := e.(type) {
	case *Logical:
		return mentions(x.L, attr) || mentions(x.R, attr)
	case *Not:
		return mentions(x.X, attr)
	case *ValueFilter:
		return strings.EqualFold(x.Path.Attr, attr)
	case *Compare:
		return strings.EqualFold(x.Path.Attr, attr)
	}
	return false
}

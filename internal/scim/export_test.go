package scim

// MatchFilter evaluates a filter on a resource in Go, as the list endpoint
// does for filters it cannot give to SQL. Tests compare it with what the
// server answers (mostly from SQL) to show both agree.
func MatchFilter(endpoint, filter string, res map[string]any) (bool, error) {
	rt := usersType
	if endpoint == "Groups" {
		rt = groupsType
	}
	e, err := ParseFilter(filter)
	if err != nil {
		return false, err
	}
	if err := checkFilter(e, rt, nil); err != nil {
		return false, err
	}
	return matches(e, rt, nil, res), nil
}

// Exact reports whether SQL answers the filter alone.
func Exact(endpoint, filter string) bool {
	e, err := ParseFilter(filter)
	if err != nil {
		return false
	}
	if endpoint == "Groups" {
		return translate(e, groupsType, groupColumns).exact
	}
	return translate(e, usersType, userColumns).exact
}

package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// ignoredChanges are fields that change with every update and say nothing
// about what the caller changed.
var ignoredChanges = map[string]bool{"updatedAt": true}

// WithChanges is the data of an *.updated event: the resource as it is now
// (after), plus "previous" — the old values of the top-level fields that
// changed — and "changed", their names, sorted. A workflow then reacts to
// what an update changed on the event alone ("remove from the old
// department's group") without having kept a copy of the old record.
// before and after must marshal to JSON objects of the same shape.
func WithChanges(before, after any) (map[string]any, error) {
	old, err := asObject(before)
	if err != nil {
		return nil, err
	}
	cur, err := asObject(after)
	if err != nil {
		return nil, err
	}
	previous := map[string]any{}
	changed := []string{}
	for k, v := range cur {
		if ignoredChanges[k] {
			continue
		}
		if was, ok := old[k]; !ok || !reflect.DeepEqual(was, v) {
			previous[k] = was
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	cur["previous"], cur["changed"] = previous, changed
	return cur, nil
}

func asObject(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode change: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("encode change: %T is not an object: %w", v, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

package op

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestID(t *testing.T) {
	type body struct {
		Group  ID     `json:"groupId"`
		Groups []ID   `json:"groups"`
		Parent NullID `json:"parentId"`
	}
	for _, tc := range []struct {
		in    string
		want  body
		field string // the field an error names; "" for success
	}{
		{`{"groupId": 2, "groups": [1, "3"], "parentId": "4"}`, body{Group: 2, Groups: []ID{1, 3}, Parent: NullID{Valid: true, ID: 4}}, ""},
		{`{"groupId": " 2 ", "parentId": null}`, body{Group: 2}, ""},
		{`{"groupId": "abc"}`, body{}, "groupId"},
		{`{"groupId": 0}`, body{}, "groupId"},
		{`{"groupId": 2.5}`, body{}, "groupId"},
		{`{"groupId": "-1"}`, body{}, "groupId"},
		{`{"groups": [1, "x"]}`, body{}, "groups"},
		{`{"parentId": true}`, body{}, "parentId"},
	} {
		var got body
		err := json.Unmarshal([]byte(tc.in), &got)
		if tc.field == "" {
			if err != nil || got.Group != tc.want.Group || got.Parent != tc.want.Parent || len(got.Groups) != len(tc.want.Groups) {
				t.Errorf("%s: got %+v, %v", tc.in, got, err)
			}
			continue
		}
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field != tc.field {
			t.Errorf("%s: error %v does not name %s", tc.in, err, tc.field)
		}
	}
	if b, _ := json.Marshal(body{Group: 2, Parent: NullID{Valid: true, ID: 3}}); string(b) != `{"groupId":2,"groups":null,"parentId":3}` {
		t.Errorf("marshal: %s", b)
	}
}

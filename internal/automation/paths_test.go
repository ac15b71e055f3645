package automation

import "testing"

func TestStepPaths(t *testing.T) {
	d := Definition{Steps: []Step{
		{ID: "a"},
		{ID: "b", Op: OpBranch, Branches: []Branch{{Steps: []Step{{ID: "b0a"}, {ID: "b0b"}}}, {Steps: nil}}, Else: []Step{{ID: "e0"}}},
		{ID: "c", OnError: OnErrorPath, ErrorSteps: []Step{{ID: "err0"}}},
	}}
	at := map[string]string{"0": "a", "1/b0/1": "b0b", "1/e/0": "e0", "2/err/0": "err0"}
	for path, id := range at {
		s, err := stepAt(d, path)
		if err != nil || s.ID != id {
			t.Errorf("stepAt(%q) = %q, %v; want %q", path, s.ID, err, id)
		}
	}
	for _, bad := range []string{"3", "1/b2/0", "1/b1/0", "0/e/0", "x", "1/b0", "1/q/0"} {
		if _, err := stepAt(d, bad); err == nil {
			t.Errorf("stepAt(%q) resolved", bad)
		}
	}
	nexts := []struct {
		path, want string
		failed     bool
	}{
		{"0", "1", false}, {"1/b0/0", "1/b0/1", false}, {"1/b0/1", "2", false}, {"1/e/0", "2", false},
		{"2", "", false}, {"2/err/0", "", true},
	}
	for _, tc := range nexts {
		got, failed := next(d, tc.path)
		if got != tc.want || failed != tc.failed {
			t.Errorf("next(%q) = %q, %v; want %q, %v", tc.path, got, failed, tc.want, tc.failed)
		}
	}
	if child(d, "1", "b1") != "" || child(d, "1", "b0") != "1/b0/0" || child(d, "1", "e") != "1/e/0" {
		t.Error("child paths wrong")
	}
}

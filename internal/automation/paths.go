package automation

import (
	"fmt"
	"strconv"
	"strings"
)

// A step's path addresses it in the definition: "2" is steps[2];
// "2/b0/1" is steps[2].branches[0].steps[1]; "2/e/0" the first else step;
// "2/err/0" the first error step of steps[2].
const (
	selBranch = "b"
	selElse   = "e"
	selError  = "err"
)

// stepAt resolves a path to its step.
func stepAt(d Definition, path string) (Step, error) {
	list, i, err := listAt(d, path)
	if err != nil {
		return Step{}, err
	}
	return list[i], nil
}

// listAt resolves a path to the list holding the step and its index there.
func listAt(d Definition, path string) ([]Step, int, error) {
	segs := strings.Split(path, "/")
	list := d.Steps
	for k := 0; ; k += 2 {
		i, err := strconv.Atoi(segs[k])
		if err != nil || i < 0 || i >= len(list) {
			return nil, 0, fmt.Errorf("no step at %q", path)
		}
		if k == len(segs)-1 {
			return list, i, nil
		}
		if k+2 > len(segs)-1 {
			return nil, 0, fmt.Errorf("malformed step path %q", path)
		}
		step := list[i]
		switch sel := segs[k+1]; {
		case sel == selElse:
			list = step.Else
		case sel == selError:
			list = step.ErrorSteps
		case strings.HasPrefix(sel, selBranch):
			b, err := strconv.Atoi(sel[len(selBranch):])
			if err != nil || b < 0 || b >= len(step.Branches) {
				return nil, 0, fmt.Errorf("no branch at %q", path)
			}
			list = step.Branches[b].Steps
		default:
			return nil, 0, fmt.Errorf("malformed step path %q", path)
		}
	}
}

// next is where a run goes after the step at path: the path of the next step,
// or "" when the run is over. handledFailure reports that the run ended by
// finishing an error path, so it ends as failed.
func next(d Definition, path string) (nextPath string, handledFailure bool) {
	list, i, err := listAt(d, path)
	if err != nil {
		return "", false
	}
	segs := strings.Split(path, "/")
	if i+1 < len(list) {
		segs[len(segs)-1] = strconv.Itoa(i + 1)
		return strings.Join(segs, "/"), false
	}
	if len(segs) == 1 {
		return "", false
	}
	if segs[len(segs)-2] == selError {
		return "", true
	}
	return next(d, strings.Join(segs[:len(segs)-2], "/"))
}

// child is the path of the first step of a nested list, or "" when the list
// is empty.
func child(d Definition, path, selector string) string {
	p := path + "/" + selector + "/0"
	if _, _, err := listAt(d, p); err != nil {
		return ""
	}
	return p
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func init() {
	scenarios["groups.add_users"] = groupsAddUsers
	scenarios["courses.assign_group"] = coursesAssignGroup
}

// createMany creates n users through the bulk route and returns their ids.
func createMany(ctx context.Context, cfg *config, prefix string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 1000 {
		var b strings.Builder
		b.WriteString(`{"users":[`)
		for i := start; i < min(start+1000, n); i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"%s %d","email":"%s-%d-%d@example.com"}`, prefix, i, prefix, runID, i)
		}
		b.WriteString(`]}`)
		data, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/users/bulk", cfg.key, b.String(), http.StatusOK)
		if err != nil {
			return nil, err
		}
		var out struct {
			Results []struct{ ID, Status string }
		}
		if err := json.Unmarshal(data, &out); err != nil {
			return nil, err
		}
		for _, r := range out.Results {
			if r.Status != "created" {
				return nil, fmt.Errorf("bulk create: item %s", r.Status)
			}
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

func createGroup(ctx context.Context, cfg *config, name string) (int64, error) {
	data, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/groups", cfg.key,
		fmt.Sprintf(`{"name":"%s %d"}`, name, runID), http.StatusCreated)
	if err != nil {
		return 0, err
	}
	var g struct{ ID int64 }
	return g.ID, json.Unmarshal(data, &g)
}

func createCourse(ctx context.Context, cfg *config, name string) (int64, error) {
	data, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/courses", cfg.key,
		fmt.Sprintf(`{"name":"%s %d"}`, name, runID), http.StatusCreated)
	if err != nil {
		return 0, err
	}
	var c struct{ ID int64 }
	return c.ID, json.Unmarshal(data, &c)
}

func addMembers(ctx context.Context, cfg *config, group int64, ids []string) error {
	for start := 0; start < len(ids); start += 1000 {
		body, _ := json.Marshal(map[string]any{"users": ids[start:min(start+1000, len(ids))]})
		if _, err := do(ctx, cfg.client, http.MethodPost, fmt.Sprintf("%s/api/v1/groups/%d/users", cfg.url, group), cfg.key, string(body), http.StatusOK); err != nil {
			return err
		}
	}
	return nil
}

// groupsAddUsers adds users one per request to a group that has 20 courses
// assigned, so every add also enrolls the user in 20 courses.
func groupsAddUsers(ctx context.Context, cfg *config) (result, error) {
	n := cfg.count
	if n <= 0 {
		n = 2000
	}
	group, err := createGroup(ctx, cfg, "Load group")
	if err != nil {
		return result{}, err
	}
	for i := 0; i < 20; i++ {
		course, err := createCourse(ctx, cfg, fmt.Sprintf("Load course %d", i))
		if err != nil {
			return result{}, err
		}
		if _, err := do(ctx, cfg.client, http.MethodPost, fmt.Sprintf("%s/api/v1/courses/%d/assign", cfg.url, course), cfg.key,
			fmt.Sprintf(`{"groups":[%d]}`, group), http.StatusOK); err != nil {
			return result{}, err
		}
	}
	ids, err := createMany(ctx, cfg, "member", n)
	if err != nil {
		return result{}, err
	}
	url := fmt.Sprintf("%s/api/v1/groups/%d/users", cfg.url, group)
	res := runLoad(ctx, cfg.concurrency, cfg.duration, n, func(ctx context.Context, i int64) error {
		_, err := do(ctx, cfg.client, http.MethodPost, url, cfg.key, fmt.Sprintf(`{"users":[%q]}`, ids[i-1]), http.StatusOK)
		return err
	})
	res.Note = "each add enrolls the user in the group's 20 courses"
	return res, nil
}

// coursesAssignGroup assigns one course to a group of -size members
// (default 100,000): one request, timed, repeated -n times (default 3) with
// a new course each time.
func coursesAssignGroup(ctx context.Context, cfg *config) (result, error) {
	size := cfg.size
	if size <= 0 {
		size = 100_000
	}
	group, err := createGroup(ctx, cfg, "Big group")
	if err != nil {
		return result{}, err
	}
	setup := time.Now()
	ids, err := createMany(ctx, cfg, "big", size)
	if err != nil {
		return result{}, err
	}
	if err := addMembers(ctx, cfg, group, ids); err != nil {
		return result{}, err
	}
	setupTook := time.Since(setup)
	repeats := cfg.count
	if repeats <= 0 {
		repeats = 3
	}
	courses := make([]int64, repeats)
	for i := range courses {
		if courses[i], err = createCourse(ctx, cfg, fmt.Sprintf("Assigned course %d", i)); err != nil {
			return result{}, err
		}
	}
	res := runLoad(ctx, 1, 10*time.Minute, repeats, func(ctx context.Context, i int64) error {
		_, err := do(ctx, cfg.client, http.MethodPost, fmt.Sprintf("%s/api/v1/courses/%d/assign", cfg.url, courses[i-1]), cfg.key,
			fmt.Sprintf(`{"groups":[%d]}`, group), http.StatusOK)
		return err
	})
	res.Note = fmt.Sprintf("group of %d members (setup: %.1fs); latency = one assignment fanning out to every member", size, setupTook.Seconds())
	return res, nil
}

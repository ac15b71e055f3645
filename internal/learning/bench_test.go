package learning_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db/dbtest"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/learning"
	"github.com/rosterhq/roster/internal/op"
)

// The benchmarks run the full application (event hooks for webhooks and
// workflows included) on each engine and call the services directly, except
// where the name says HTTP. Run them with
//
//	go test -run '^$' -bench . -benchtime 5x ./internal/learning/
//
// with ROSTER_TEST_POSTGRES_DSN set for PostgreSQL.

// seedUsers inserts n users named <prefix><i> in one statement and returns
// nothing; the benchmarks look them up by public id.
func seedUsers(b *testing.B, s *apptest.Server, workspaceID int64, prefix string, n int) {
	b.Helper()
	_, err := s.App.DB.Write().ExecContext(context.Background(), `WITH RECURSIVE n(i) AS (
			SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
		INSERT INTO users (workspace_id, public_id, name, email, email_lower, role, language, timezone, created_at, updated_at)
		SELECT CAST($1 AS BIGINT), $3 || i, 'User ' || i, $3 || i || '@example.com', $3 || i || '@example.com',
			'learner', 'en', 'UTC', 0, 0 FROM n`, workspaceID, n, prefix)
	if err != nil {
		b.Fatalf("seed users: %v", err)
	}
}

func eachEngine(b *testing.B, fn func(b *testing.B, s *apptest.Server)) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) { fn(b, apptest.Start(b, d)) })
	}
}

// BenchmarkAssignCourseToGroup100k assigns a new course to a group of
// 100,000 members: one rule and 100,000 enrollments per operation.
func BenchmarkAssignCourseToGroup100k(b *testing.B) {
	eachEngine(b, func(b *testing.B, s *apptest.Server) {
		ctx := context.Background()
		tenant := s.Tenant(b)
		seedUsers(b, s, tenant.ID, "m", 100_000)
		g, err := s.App.Directory.CreateGroup(ctx, tenant.ID, directory.GroupCreate{Name: "Everyone"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.App.DB.Write().ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, added_at)
			SELECT CAST($1 AS BIGINT), id, 0 FROM users WHERE workspace_id = $2`, g.ID, tenant.ID); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			b.StopTimer()
			c, err := s.App.Learning.CreateCourse(ctx, tenant.ID, learning.CourseCreate{Name: fmt.Sprintf("Course %d", i)})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			out, err := s.App.Learning.AssignCourse(ctx, tenant.ID, c.ID, learning.Assign{Groups: []op.ID{op.ID(g.ID)}, DeadlineAt: 2_000_000_000})
			if err != nil {
				b.Fatal(err)
			}
			if out.EnrollmentsCreated != 100_000 {
				b.Fatalf("created %d enrollments", out.EnrollmentsCreated)
			}
		}
	})
}

// BenchmarkAddMemberToGroupWith20Courses adds one user to a group that 20
// courses are assigned to: one membership, 20 enrollments and one event per
// operation.
func BenchmarkAddMemberToGroupWith20Courses(b *testing.B) {
	eachEngine(b, func(b *testing.B, s *apptest.Server) {
		ctx := context.Background()
		tenant := s.Tenant(b)
		g, err := s.App.Directory.CreateGroup(ctx, tenant.ID, directory.GroupCreate{Name: "Team"})
		if err != nil {
			b.Fatal(err)
		}
		for i := range 20 {
			c, err := s.App.Learning.CreateCourse(ctx, tenant.ID, learning.CourseCreate{Name: fmt.Sprintf("Course %d", i)})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.App.Learning.AssignCourse(ctx, tenant.ID, c.ID, learning.Assign{Groups: []op.ID{op.ID(g.ID)}}); err != nil {
				b.Fatal(err)
			}
		}
		const batch = 20_000
		seeded := 0
		b.ResetTimer()
		for i := range b.N {
			if i >= seeded {
				b.StopTimer()
				seedUsers(b, s, tenant.ID, fmt.Sprintf("j%d-", seeded/batch), batch)
				seeded += batch
				b.StartTimer()
			}
			id := fmt.Sprintf("j%d-%d", i/batch, i%batch+1)
			out, err := s.App.Directory.AddUsers(ctx, tenant.ID, g.ID, []string{id})
			if err != nil {
				b.Fatal(err)
			}
			if out.AddedCount != 1 {
				b.Fatalf("added %d", out.AddedCount)
			}
		}
		b.StopTimer()
		var n int
		if err := s.App.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM enrollments WHERE workspace_id = $1`, tenant.ID).Scan(&n); err != nil || n != 20*b.N {
			b.Fatalf("%d enrollments for %d members (%v)", n, b.N, err)
		}
	})
}

func importRequest(iteration int) learning.ImportRequest {
	req := learning.ImportRequest{Courses: make([]learning.ImportCourse, 10_000)}
	for i := range req.Courses {
		req.Courses[i] = learning.ImportCourse{CourseID: learning.ExternalID(fmt.Sprintf("it%d-%05d", iteration, i)),
			Title: fmt.Sprintf("Course %d", i), Category: "Imported", Description: "An imported course with a short description."}
	}
	return req
}

// BenchmarkImport10kCourses imports 10,000 new courses in one call.
func BenchmarkImport10kCourses(b *testing.B) {
	eachEngine(b, func(b *testing.B, s *apptest.Server) {
		ctx := context.Background()
		tenant := s.Tenant(b)
		for i := range b.N {
			b.StopTimer()
			req := importRequest(i)
			b.StartTimer()
			out, err := s.App.Learning.ImportCourses(ctx, tenant.ID, req)
			if err != nil || out.Created != 10_000 {
				b.Fatalf("import: %d created, %v", out.Created, err)
			}
		}
	})
}

// BenchmarkImport10kCoursesUnchanged repeats an import of 10,000 courses
// that are all up to date.
func BenchmarkImport10kCoursesUnchanged(b *testing.B) {
	eachEngine(b, func(b *testing.B, s *apptest.Server) {
		ctx := context.Background()
		tenant := s.Tenant(b)
		req := importRequest(0)
		if _, err := s.App.Learning.ImportCourses(ctx, tenant.ID, req); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			out, err := s.App.Learning.ImportCourses(ctx, tenant.ID, req)
			if err != nil || out.Unchanged != 10_000 {
				b.Fatalf("import: %d unchanged, %v", out.Unchanged, err)
			}
		}
	})
}

// BenchmarkImport10kCoursesHTTP imports 10,000 new courses through the
// HTTP route: JSON decoding and schema validation included.
func BenchmarkImport10kCoursesHTTP(b *testing.B) {
	eachEngine(b, func(b *testing.B, s *apptest.Server) {
		tenant := s.Tenant(b)
		for i := range b.N {
			b.StopTimer()
			req := importRequest(i)
			b.StartTimer()
			tenant.Call(b, http.MethodPost, "/api/v1/courses/courses-exporter/public/import", req).Expect(b, http.StatusOK)
		}
	})
}

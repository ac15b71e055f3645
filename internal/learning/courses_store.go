package learning

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

const courseColumns = `id, workspace_id, external_id, name, annotation, description, category, language, url,
	duration_minutes, is_draft, status, published_at, archived_at, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanCourse(s rowScanner) (courseRow, error) {
	var r courseRow
	var created, updated int64
	err := s.Scan(&r.pk, &r.workspaceID, &r.externalID, &r.name, &r.annotation, &r.description, &r.category, &r.language,
		&r.url, &r.durationMinutes, &r.isDraft, &r.status, &r.publishedAt, &r.archivedAt, &created, &updated)
	r.createdAt, r.updatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, err
}

// getCourse reads a course of the workspace, locking it on PostgreSQL when
// forUpdate.
func getCourse(ctx context.Context, d *db.DB, q db.Querier, workspaceID, id int64, forUpdate bool) (courseRow, error) {
	query := `SELECT ` + courseColumns + ` FROM courses WHERE workspace_id = $1 AND id = $2`
	if forUpdate && d.Dialect == db.Postgres {
		query += ` FOR UPDATE`
	}
	r, err := scanCourse(q.QueryRowContext(ctx, query, workspaceID, id))
	if db.IsNoRows(err) {
		return r, fault.NotFound(fmt.Sprintf("course %d", id))
	}
	if err != nil {
		return r, fmt.Errorf("get course %d: %w", id, err)
	}
	return r, nil
}

func externalIDConflict(r *courseRow) error {
	return fault.Conflict("external_id_taken", "externalId", "a course with externalId %q already exists", deref(r.externalID))
}

func insertCourse(ctx context.Context, q db.Querier, r *courseRow) error {
	err := q.QueryRowContext(ctx, `INSERT INTO courses (workspace_id, external_id, name, annotation, description, category,
		language, url, duration_minutes, is_draft, status, published_at, archived_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		r.workspaceID, r.externalID, r.name, r.annotation, r.description, r.category, r.language, r.url, r.durationMinutes,
		r.isDraft, r.status, r.publishedAt, r.archivedAt, r.createdAt.UnixMilli(), r.updatedAt.UnixMilli()).Scan(&r.pk)
	if db.IsUniqueViolation(err) {
		return externalIDConflict(r)
	}
	if err != nil {
		return fmt.Errorf("insert course: %w", err)
	}
	return nil
}

func updateCourseRow(ctx context.Context, q db.Querier, r *courseRow) error {
	_, err := q.ExecContext(ctx, `UPDATE courses SET external_id = $1, name = $2, annotation = $3, description = $4,
		category = $5, language = $6, url = $7, duration_minutes = $8, is_draft = $9, status = $10, published_at = $11,
		archived_at = $12, updated_at = $13 WHERE id = $14`,
		r.externalID, r.name, r.annotation, r.description, r.category, r.language, r.url, r.durationMinutes, r.isDraft,
		r.status, r.publishedAt, r.archivedAt, r.updatedAt.UnixMilli(), r.pk)
	if db.IsUniqueViolation(err) {
		return externalIDConflict(r)
	}
	if err != nil {
		return fmt.Errorf("update course %d: %w", r.pk, err)
	}
	return nil
}

// CourseFilter selects courses for a list.
type CourseFilter struct {
	Query      string // part of the name, case-insensitive
	Status     string // active or archived; empty for both
	Category   string // exact category
	ExternalID string // exact external id
	Offset     int
	Limit      int
}

func listCourseRows(ctx context.Context, q db.Querier, workspaceID int64, f CourseFilter) ([]courseRow, int, error) {
	where := []string{"workspace_id = $1"}
	args := []any{workspaceID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Query != "" {
		add(`lower(name) LIKE ? ESCAPE '\'`, "%"+db.EscapeLike(strings.ToLower(strings.TrimSpace(f.Query)))+"%")
	}
	if f.Status != "" {
		add(`status = ?`, f.Status)
	}
	if f.Category != "" {
		add(`category = ?`, f.Category)
	}
	if f.ExternalID != "" {
		add(`external_id = ?`, f.ExternalID)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM courses WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count courses: %w", err)
	}
	if total == 0 || f.Offset >= total {
		return []courseRow{}, total, nil
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := q.QueryContext(ctx, `SELECT `+courseColumns+` FROM courses WHERE `+cond+
		fmt.Sprintf(` ORDER BY name, id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list courses: %w", err)
	}
	defer rows.Close()
	out := make([]courseRow, 0, f.Limit)
	for rows.Next() {
		r, err := scanCourse(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list courses: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// coursesByID reads courses by id.
func coursesByID(ctx context.Context, q db.Querier, ids []int64) (map[int64]courseRow, error) {
	out := make(map[int64]courseRow, len(ids))
	err := db.InChunks(ids, 1, db.ParamBudget, func(chunk []int64) error {
		return scanCoursesInto(ctx, q, `SELECT `+courseColumns+` FROM courses WHERE id IN (`+
			db.Placeholders(1, len(chunk))+`)`, db.Args(chunk), func(r courseRow) { out[r.pk] = r })
	})
	if err != nil {
		return nil, fmt.Errorf("read courses: %w", err)
	}
	return out, nil
}

// coursesByExternalID reads the workspace's courses with these external ids.
func coursesByExternalID(ctx context.Context, q db.Querier, workspaceID int64, ids []string) (map[string]courseRow, error) {
	out := make(map[string]courseRow, len(ids))
	err := db.InChunks(ids, 1, db.ParamBudget-1, func(chunk []string) error {
		return scanCoursesInto(ctx, q, `WITH v(ext) AS (VALUES `+db.ValuesList(2, len(chunk))+`)
			SELECT `+courseColumns+` FROM courses WHERE id IN (SELECT c.id FROM v JOIN courses c ON c.workspace_id = $1 AND c.external_id = v.ext)`,
			append([]any{workspaceID}, db.Args(chunk)...),
			func(r courseRow) { out[*r.externalID] = r })
	})
	if err != nil {
		return nil, fmt.Errorf("find imported courses: %w", err)
	}
	return out, nil
}

func scanCoursesInto(ctx context.Context, q db.Querier, query string, args []any, keep func(courseRow)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanCourse(rows)
		if err != nil {
			return err
		}
		keep(r)
	}
	return rows.Err()
}

// upsertCourses writes rows in multi-row INSERT … ON CONFLICT statements
// keyed on (workspace_id, external_id) and sets each row's id. Rows must have
// distinct external ids.
func upsertCourses(ctx context.Context, d db.Dialect, q db.Querier, rows []*courseRow) error {
	return db.InChunks(rows, 14, db.ParamBudgetFor(d), func(chunk []*courseRow) error {
		return upsertChunk(ctx, q, chunk)
	})
}

func upsertChunk(ctx context.Context, q db.Querier, chunk []*courseRow) error {
	args := make([]any, 0, len(chunk)*14)
	values := make([]string, len(chunk))
	byExternal := make(map[string]*courseRow, len(chunk))
	for i, r := range chunk {
		n := len(args)
		args = append(args, r.workspaceID, r.externalID, r.name, r.annotation, r.description, r.category, r.language, r.url,
			r.durationMinutes, r.isDraft, r.status, r.publishedAt, r.createdAt.UnixMilli(), r.updatedAt.UnixMilli())
		values[i] = "(" + db.Placeholders(n+1, 14) + ")"
		byExternal[*r.externalID] = r
	}
	rows, err := q.QueryContext(ctx, `INSERT INTO courses (workspace_id, external_id, name, annotation, description, category,
		language, url, duration_minutes, is_draft, status, published_at, created_at, updated_at) VALUES `+strings.Join(values, ", ")+`
		ON CONFLICT (workspace_id, external_id) DO UPDATE SET name = excluded.name, annotation = excluded.annotation,
		description = excluded.description, category = excluded.category, language = excluded.language, url = excluded.url,
		duration_minutes = excluded.duration_minutes, is_draft = excluded.is_draft,
		published_at = coalesce(courses.published_at, excluded.published_at), updated_at = excluded.updated_at
		RETURNING id, external_id`, args...)
	if err != nil {
		return fmt.Errorf("upsert courses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ext string
		if err := rows.Scan(&id, &ext); err != nil {
			return fmt.Errorf("upsert courses: %w", err)
		}
		if r := byExternal[ext]; r != nil {
			r.pk = id
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("upsert courses: %w", err)
	}
	return nil
}

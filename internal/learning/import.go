package learning

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// MaxImportCourses is the most courses one import call may carry.
const MaxImportCourses = 10000

// ExternalID is an exporter's course id, given as a string or a number.
type ExternalID string

// UnmarshalJSON accepts a string or an integer.
func (e *ExternalID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = ExternalID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*e = ExternalID(n.String())
	return nil
}

// Schema documents both forms.
func (ExternalID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Description: "The exporter's course id: a string or an integer",
		OneOf: []*huma.Schema{{Type: huma.TypeString}, {Type: huma.TypeInteger}}}
}

// ImportCourse is one course of an import. Fields are checked per item, so a
// bad item is reported in its result instead of failing the call.
type ImportCourse struct {
	CourseID        ExternalID `json:"courseId,omitempty" doc:"The exporter's id; imports upsert on it (required)"`
	Title           string     `json:"title,omitempty" doc:"Course name (required)"`
	Category        string     `json:"category,omitempty"`
	Annotation      string     `json:"annotation,omitempty"`
	Description     string     `json:"description,omitempty"`
	Language        string     `json:"language,omitempty"`
	URL             string     `json:"url,omitempty"`
	DurationMinutes int        `json:"durationMinutes,omitempty"`
	IsDraft         bool       `json:"isDraft,omitempty"`
}

// ImportRequest is the body of courses.import.
type ImportRequest struct {
	Courses []ImportCourse `json:"courses" maxItems:"10000" doc:"1 to 10,000 courses"`
}

// ImportResult is the outcome of one item, by its index in the request.
type ImportResult struct {
	Index    int                 `json:"index"`
	CourseID string              `json:"courseId"`
	ID       int64               `json:"id,omitempty" doc:"The course's id (not for errors)"`
	Status   string              `json:"status" enum:"created,updated,unchanged,error"`
	Code     string              `json:"code,omitempty" doc:"Problem code of an error"`
	Errors   map[string][]string `json:"errors,omitempty" doc:"Messages by field of an error"`
}

// ImportOutcome summarises an import.
type ImportOutcome struct {
	Results   []ImportResult `json:"results"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
}

// ImportedEvent is the data of course.imported: one per call.
type ImportedEvent struct {
	Created    int     `json:"created"`
	Updated    int     `json:"updated"`
	Unchanged  int     `json:"unchanged"`
	Failed     int     `json:"failed"`
	CreatedIDs []int64 `json:"createdIds"`
	UpdatedIDs []int64 `json:"updatedIds"`
}

type importItem struct {
	index int
	in    ImportCourse
	row   *courseRow
}

// applyImport sets r's content from an import item (every field: left out is
// the default).
func applyImport(f *fault.Fields, r *courseRow, in ImportCourse, now time.Time) {
	r.name = checkText(f, "title", in.Title, 1, maxNameLen)
	r.category = checkText(f, "category", in.Category, 0, maxCategoryLen)
	r.annotation = checkText(f, "annotation", in.Annotation, 0, maxAnnotationLen)
	r.description = checkText(f, "description", in.Description, 0, maxDescriptionLen)
	r.language = checkLanguage(f, "language", in.Language)
	r.url = checkURL(f, "url", in.URL)
	r.durationMinutes = checkDuration(f, "durationMinutes", in.DurationMinutes)
	r.isDraft = in.IsDraft
	r.publish(now)
}

// ImportCourses upserts courses by courseId. Invalid items are reported per
// item; the valid ones are written together in one transaction. Identical
// items are reported unchanged and not written, so an import is idempotent.
func (s *Service) ImportCourses(ctx context.Context, workspaceID int64, in ImportRequest) (ImportOutcome, error) {
	if len(in.Courses) == 0 || len(in.Courses) > MaxImportCourses {
		return ImportOutcome{}, fault.Invalid("courses", "must hold 1 to %d courses", MaxImportCourses)
	}
	now := s.timestamp()
	out := ImportOutcome{Results: make([]ImportResult, len(in.Courses))}
	seen := make(map[string]int, len(in.Courses))
	var valid []*importItem
	var externalIDs []string
	for i, item := range in.Courses {
		res := &out.Results[i]
		res.Index, res.CourseID = i, strings.TrimSpace(string(item.CourseID))
		var f fault.Fields
		r := &courseRow{workspaceID: workspaceID, status: CourseActive, createdAt: now, updatedAt: now}
		if res.CourseID == "" {
			f.Add("courseId", "is required")
		} else {
			r.externalID = checkExternalID(&f, "courseId", res.CourseID)
		}
		applyImport(&f, r, item, now)
		if j, dup := seen[res.CourseID]; dup && res.CourseID != "" {
			f.Add("courseId", "the same courseId as item %d", j)
		}
		if err := f.Err(); err != nil {
			res.fail(err)
			continue
		}
		seen[res.CourseID] = i
		valid = append(valid, &importItem{index: i, in: item, row: r})
		externalIDs = append(externalIDs, res.CourseID)
	}
	ev := ImportedEvent{CreatedIDs: []int64{}, UpdatedIDs: []int64{}}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		existing, err := coursesByExternalID(ctx, tx, workspaceID, externalIDs)
		if err != nil {
			return err
		}
		var write []*courseRow
		var published []*courseRow // created or updated out of draft: course.published
		for _, it := range valid {
			res := &out.Results[it.index]
			prev, ok := existing[res.CourseID]
			if !ok {
				res.Status = "created"
				write = append(write, it.row)
				if !it.row.isDraft {
					published = append(published, it.row)
				}
				continue
			}
			merged := prev
			var f fault.Fields
			applyImport(&f, &merged, it.in, now)
			if merged.content() == prev.content() {
				res.Status, res.ID = "unchanged", prev.pk
				continue
			}
			merged.updatedAt = now
			res.Status, it.row = "updated", &merged
			write = append(write, it.row)
			if prev.isDraft && !merged.isDraft {
				published = append(published, it.row)
			}
		}
		if err := upsertCourses(ctx, s.db.Dialect, tx, write); err != nil {
			return err
		}
		for _, it := range valid {
			res := &out.Results[it.index]
			switch res.Status {
			case "created":
				res.ID = it.row.pk
				ev.CreatedIDs = append(ev.CreatedIDs, it.row.pk)
			case "updated":
				res.ID = it.row.pk
				ev.UpdatedIDs = append(ev.UpdatedIDs, it.row.pk)
			}
		}
		out.count()
		ev.Created, ev.Updated, ev.Unchanged, ev.Failed = out.Created, out.Updated, out.Unchanged, out.Failed
		pending := []events.Pending{{Type: EventCourseImported, Data: ev}}
		for _, r := range published { // after the upsert: the rows have their ids
			pending = append(pending, events.Pending{Type: EventCoursePublished, Data: r.view()})
		}
		_, err = s.events.RecordMany(ctx, tx, workspaceID, pending)
		return err
	})
	if err != nil {
		return ImportOutcome{}, fmt.Errorf("import %d courses: %w", len(in.Courses), err)
	}
	return out, nil
}

func (o *ImportOutcome) count() {
	o.Created, o.Updated, o.Unchanged, o.Failed = 0, 0, 0, 0
	for _, r := range o.Results {
		switch r.Status {
		case "created":
			o.Created++
		case "updated":
			o.Updated++
		case "unchanged":
			o.Unchanged++
		default:
			o.Failed++
		}
	}
}

func (r *ImportResult) fail(err error) {
	r.Status = "error"
	fe, ok := fault.As(err)
	if !ok {
		r.Code, r.Errors = "internal_error", map[string][]string{"": {"internal error"}}
		return
	}
	r.Code, r.Errors = fe.Code, map[string][]string{}
	for _, f := range fe.Fields {
		r.Errors[f.Field] = append(r.Errors[f.Field], f.Message)
	}
	if len(fe.Fields) == 0 {
		r.Errors[""] = []string{fe.Message}
	}
}

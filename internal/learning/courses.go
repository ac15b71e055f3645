package learning

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
)

// Course is a course of the workspace (Konstantly's shape, plus the fields
// imports carry).
type Course struct {
	ID              int64            `json:"id" example:"123"`
	ExternalID      *string          `json:"externalId" doc:"The exporter's id (courseId in imports); null for courses made in Roster"`
	Name            string           `json:"name" example:"Onboarding"`
	Title           string           `json:"title" example:"Onboarding" doc:"Same as name (the import's and seed integrations' name for it)"`
	Annotation      string           `json:"annotation" doc:"Short summary"`
	Description     string           `json:"description"`
	Category        string           `json:"category"`
	Language        string           `json:"language"`
	URL             string           `json:"url" doc:"Where the course is taken"`
	DurationMinutes int              `json:"durationMinutes"`
	IsDraft         bool             `json:"isDraft"`
	Status          string           `json:"status" enum:"active,archived"`
	IsArchived      bool             `json:"isArchived"`
	Image           *directory.Image `json:"image" doc:"Cover image; always null for now"`
	CreatedAt       int64            `json:"createdAt" doc:"Unix seconds"`
	UpdatedAt       int64            `json:"updatedAt" doc:"Unix seconds"`
	PublishedAt     int64            `json:"publishedAt" doc:"Unix seconds; 0 while a draft"`
	ArchivedAt      int64            `json:"archivedAt" doc:"Unix seconds; 0 unless archived"`
}

// CourseRef is the short form events carry.
type CourseRef struct {
	ID         int64   `json:"id"`
	ExternalID *string `json:"externalId"`
	Name       string  `json:"name"`
}

type courseRow struct {
	pk              int64
	workspaceID     int64
	externalID      *string
	name            string
	annotation      string
	description     string
	category        string
	language        string
	url             string
	durationMinutes int
	isDraft         bool
	status          string
	publishedAt     *int64
	archivedAt      *int64
	createdAt       time.Time
	updatedAt       time.Time
}

func (r *courseRow) view() Course {
	return Course{ID: r.pk, ExternalID: r.externalID, Name: r.name, Title: r.name, Annotation: r.annotation, Description: r.description,
		Category: r.category, Language: r.language, URL: r.url, DurationMinutes: r.durationMinutes, IsDraft: r.isDraft,
		Status: r.status, IsArchived: r.status == CourseArchived, CreatedAt: r.createdAt.Unix(), UpdatedAt: r.updatedAt.Unix(),
		PublishedAt: seconds(r.publishedAt), ArchivedAt: seconds(r.archivedAt)}
}

func (r *courseRow) ref() CourseRef {
	return CourseRef{ID: r.pk, ExternalID: r.externalID, Name: r.name}
}

// content is what an import compares to tell updated from unchanged.
func (r *courseRow) content() [9]any {
	return [9]any{r.name, r.annotation, r.description, r.category, r.language, r.url, r.durationMinutes, r.isDraft, deref(r.externalID)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

const (
	maxNameLen        = 200
	maxExternalIDLen  = 128
	maxAnnotationLen  = 1000
	maxDescriptionLen = 20000
	maxCategoryLen    = 200
	maxURLLen         = 2000
	maxDuration       = 100000
)

// CourseCreate is the input of courses.create.
type CourseCreate struct {
	Name            string `json:"name,omitempty" maxLength:"200" example:"Onboarding" doc:"Required, as name or title"`
	Title           string `json:"title,omitempty" maxLength:"200" doc:"Same as name (the import's name for it)"`
	ExternalID      string `json:"externalId,omitempty" maxLength:"128" doc:"Your id for the course, unique in the workspace; imports match on it"`
	Annotation      string `json:"annotation,omitempty" maxLength:"1000"`
	Description     string `json:"description,omitempty" maxLength:"20000"`
	Category        string `json:"category,omitempty" maxLength:"200"`
	Language        string `json:"language,omitempty" maxLength:"16" doc:"Language code, e.g. en or pt-BR"`
	URL             string `json:"url,omitempty" maxLength:"2000" doc:"http or https link to the course"`
	DurationMinutes int    `json:"durationMinutes,omitempty" minimum:"0" maximum:"100000"`
	IsDraft         bool   `json:"isDraft,omitempty" doc:"A draft is not published yet"`
}

// CourseUpdate is the input of courses.update: absent fields stay.
type CourseUpdate struct {
	Name            *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Title           *string `json:"title,omitempty" minLength:"1" maxLength:"200" doc:"Same as name"`
	ExternalID      *string `json:"externalId,omitempty" maxLength:"128" doc:"Empty string removes it"`
	Annotation      *string `json:"annotation,omitempty" maxLength:"1000"`
	Description     *string `json:"description,omitempty" maxLength:"20000"`
	Category        *string `json:"category,omitempty" maxLength:"200"`
	Language        *string `json:"language,omitempty" maxLength:"16"`
	URL             *string `json:"url,omitempty" maxLength:"2000"`
	DurationMinutes *int    `json:"durationMinutes,omitempty" minimum:"0" maximum:"100000"`
	IsDraft         *bool   `json:"isDraft,omitempty"`
}

var (
	languagePattern   = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`)
	externalIDPattern = regexp.MustCompile(`^[^\x00-\x1f]+$`)
)

func checkText(f *fault.Fields, field, value string, min, max int) string {
	value = strings.TrimSpace(value)
	n := utf8.RuneCountInString(value)
	if n < min || n > max {
		if min > 0 {
			f.Add(field, "must be %d to %d characters", min, max)
		} else {
			f.Add(field, "must be at most %d characters", max)
		}
	}
	return value
}

func checkExternalID(f *fault.Fields, field, v string) *string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if len(v) > maxExternalIDLen || !externalIDPattern.MatchString(v) {
		f.Add(field, "must be 1 to %d printable characters", maxExternalIDLen)
	}
	return &v
}

func checkLanguage(f *fault.Fields, field, v string) string {
	v = strings.TrimSpace(v)
	if v != "" && !languagePattern.MatchString(v) {
		f.Add(field, "must be a language code such as en or pt-BR")
	}
	return v
}

func checkURL(f *fault.Fields, field, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return v
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > maxURLLen {
		f.Add(field, "must be an http or https link of at most %d characters", maxURLLen)
	}
	return v
}

func checkDuration(f *fault.Fields, field string, v int) int {
	if v < 0 || v > maxDuration {
		f.Add(field, "must be 0 to %d minutes", maxDuration)
	}
	return v
}

func newCourseRow(workspaceID int64, in CourseCreate, now time.Time) (courseRow, error) {
	var f fault.Fields
	r := courseRow{workspaceID: workspaceID, status: CourseActive, createdAt: now, updatedAt: now, isDraft: in.IsDraft}
	name, field := nameOrTitle(&f, &in.Name, &in.Title)
	r.name = checkText(&f, field, deref(name), 1, maxNameLen)
	r.externalID = checkExternalID(&f, "externalId", in.ExternalID)
	r.annotation = checkText(&f, "annotation", in.Annotation, 0, maxAnnotationLen)
	r.description = checkText(&f, "description", in.Description, 0, maxDescriptionLen)
	r.category = checkText(&f, "category", in.Category, 0, maxCategoryLen)
	r.language = checkLanguage(&f, "language", in.Language)
	r.url = checkURL(&f, "url", in.URL)
	r.durationMinutes = checkDuration(&f, "durationMinutes", in.DurationMinutes)
	r.publish(now)
	return r, f.Err()
}

// nameOrTitle picks the course name from name or title (the import's and
// seed integrations' word for it), naming the field it came from. Both may
// be given when they agree; an empty one counts as absent.
func nameOrTitle(f *fault.Fields, name, title *string) (*string, string) {
	if name != nil && *name == "" {
		name = nil
	}
	if title != nil && *title == "" {
		title = nil
	}
	switch {
	case name != nil && title != nil && strings.TrimSpace(*name) != strings.TrimSpace(*title):
		f.Add("title", "differs from name; give one of them")
		return name, "name"
	case name == nil && title != nil:
		return title, "title"
	}
	return name, "name"
}

// publish sets publishedAt the first time the course is not a draft.
func (r *courseRow) publish(now time.Time) {
	if !r.isDraft && r.publishedAt == nil {
		ms := now.UnixMilli()
		r.publishedAt = &ms
	}
}

func applyCourseUpdate(r *courseRow, in CourseUpdate, now time.Time) error {
	var f fault.Fields
	if name, field := nameOrTitle(&f, in.Name, in.Title); name != nil {
		r.name = checkText(&f, field, *name, 1, maxNameLen)
	}
	if in.ExternalID != nil {
		r.externalID = checkExternalID(&f, "externalId", *in.ExternalID)
	}
	if in.Annotation != nil {
		r.annotation = checkText(&f, "annotation", *in.Annotation, 0, maxAnnotationLen)
	}
	if in.Description != nil {
		r.description = checkText(&f, "description", *in.Description, 0, maxDescriptionLen)
	}
	if in.Category != nil {
		r.category = checkText(&f, "category", *in.Category, 0, maxCategoryLen)
	}
	if in.Language != nil {
		r.language = checkLanguage(&f, "language", *in.Language)
	}
	if in.URL != nil {
		r.url = checkURL(&f, "url", *in.URL)
	}
	if in.DurationMinutes != nil {
		r.durationMinutes = checkDuration(&f, "durationMinutes", *in.DurationMinutes)
	}
	if in.IsDraft != nil {
		r.isDraft = *in.IsDraft
		r.publish(now)
	}
	return f.Err()
}

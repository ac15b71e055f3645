// Package learning owns courses, their assignment to users and groups, the
// enrollments that follow from them (progress, completion, deadlines) and
// learning statistics.
//
// A course assigned to a group is a rule, not a one-off copy: present and
// future members of the group (and, with includeSubgroups, of its subgroups)
// are enrolled, and leaving the group removes an enrollment that nothing else
// grants unless it has progress. Rules are applied with set-based SQL
// (INSERT … SELECT over group_members), so assigning a course to a group of
// 100,000 members is a handful of statements. The directory calls back into
// this package (directory.Enrollments) when memberships or the group tree
// change, inside its own transaction.
//
// Events: enrollment.created is recorded for each enrollment created by a
// direct assignment; enrollments a group grants are reported by one
// course.assigned event per assignment (with the groups and the number of
// enrollments created) and by group.member_added (with the course ids a new
// member was enrolled in), so that a 100,000-member fan-out records one event,
// not 100,000. enrollment.started, .progressed, .completed and .overdue are
// recorded per enrollment.
package learning

import (
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
)

// Event types the learning package records.
const (
	EventCourseCreated = "course.created"
	EventCourseUpdated = "course.updated"
	// EventCoursePublished: a course became available — created not a
	// draft, updated out of draft, or imported so. Never for drafts.
	EventCoursePublished      = "course.published"
	EventCourseArchived       = "course.archived"
	EventCourseDeleted        = "course.deleted"
	EventCourseImported       = "course.imported"
	EventCourseAssigned       = "course.assigned"
	EventCourseUnassigned     = "course.unassigned"
	EventEnrollmentCreated    = "enrollment.created"
	EventEnrollmentStarted    = "enrollment.started"
	EventEnrollmentProgressed = "enrollment.progressed"
	EventEnrollmentCompleted  = "enrollment.completed"
	EventEnrollmentOverdue    = "enrollment.overdue"
)

// Enrollment statuses. Writes set assigned, in_progress or completed; only
// the overdue sweep sets overdue (and records enrollment.overdue), and a new
// deadline in the future takes an enrollment out of it.
const (
	StatusAssigned   = "assigned"
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusOverdue    = "overdue"
)

// Course statuses.
const (
	CourseActive   = "active"
	CourseArchived = "archived"
)

// Service is the learning business logic. Each exported method owns its
// transaction, except the directory.Enrollments methods, which join the
// directory's.
type Service struct {
	db     *db.DB
	events *events.Log
	now    func() time.Time
}

// NewService returns a Service over d that records its changes in log; now
// is the clock.
func NewService(d *db.DB, log *events.Log, now func() time.Time) *Service {
	return &Service{db: d, events: log, now: now}
}

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// seconds shows a millisecond time as Unix seconds, 0 for "not yet".
func seconds(ms *int64) int64 {
	if ms == nil {
		return 0
	}
	return *ms / 1000
}

// millis turns API Unix seconds into stored milliseconds; 0 is "none".
func millis(sec int64) *int64 {
	if sec == 0 {
		return nil
	}
	ms := sec * 1000
	return &ms
}

// NoContent is the output of operations that answer 204.
type NoContent struct{}

// CourseIDParam addresses one course.
type CourseIDParam struct {
	ID int64 `path:"id" minimum:"1" doc:"Course id"`
}

// page bounds for lists.
func limitOf(limit int) int {
	if limit <= 0 {
		return 20
	}
	return limit
}

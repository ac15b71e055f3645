package directory

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// Service is the directory's business logic. Each exported method owns its
// transaction: it commits whole or not at all.
type Service struct {
	db     *db.DB
	events *events.Log
	now    func() time.Time
	enroll Enrollments // course rules for group members; nil until SetEnrollments
	// schemas caches custom attribute definitions for user and group writes.
	schemas schemaCache
	// publicURL starts one-time sign-in links (ROSTER_PUBLIC_URL).
	publicURL string
}

// NewService returns a Service over d that records its changes in log; now is
// the clock.
func NewService(d *db.DB, log *events.Log, now func() time.Time) *Service {
	return &Service{db: d, events: log, now: now}
}

// Event types the directory records for users. Each carries the full user.
const (
	EventUserCreated     = "user.created"
	EventUserUpdated     = "user.updated"
	EventUserDeleted     = "user.deleted"
	EventUserDeactivated = "user.deactivated"
	EventUserReactivated = "user.reactivated"
)

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// UserCreate is the input of users.create.
type UserCreate struct {
	ID               string         `json:"id,omitempty" doc:"Client-chosen user id (letters, digits, _ and -); generated when omitted" maxLength:"64"`
	UserID           string         `json:"userId,omitempty" doc:"Same as id (seed tools send userId): the new user's id when free, 409 when taken" maxLength:"64"`
	Status           string         `json:"status,omitempty" enum:"active,deactivated" doc:"Default active; deactivated users keep their data but cannot sign in"`
	Name             string         `json:"name" doc:"Full name" minLength:"1" maxLength:"200" example:"Ada Lovelace"`
	DisplayName      string         `json:"displayName,omitempty" maxLength:"200"`
	Email            string         `json:"email" doc:"Unique in the workspace, case-insensitive" maxLength:"254" example:"ada@example.com"`
	RoleAlias        Role           `json:"roleAlias,omitempty" doc:"Role; default learner"`
	Language         Language       `json:"language,omitempty" doc:"Interface language; default en"`
	Timezone         string         `json:"timezone,omitempty" doc:"IANA time zone; default UTC" example:"Europe/London"`
	Occupation       string         `json:"occupation,omitempty" maxLength:"500"`
	Location         string         `json:"location,omitempty" maxLength:"500"`
	Bio              string         `json:"bio,omitempty" maxLength:"5000"`
	FromAPI          *bool          `json:"fromApi,omitempty" doc:"User is managed through the API; default true"`
	Password         string         `json:"password,omitempty" doc:"8–128 characters with upper, lower, digit and special character; stored hashed, never returned" writeOnly:"true"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty" doc:"Custom attribute values by key"`
	Attributes       map[string]any `json:"attributes,omitempty" doc:"Konstantly's name for customAttributes; merged into it"`
}

// UserUpdate is the input of users.update: absent fields stay as they are;
// customAttributes are merged, and a key set to null is removed.
type UserUpdate struct {
	// ID and UserID name the user (Zapier's Update User sends id, seed
	// tools send userId). With a path id they must agree with it; they never
	// change a user's id.
	ID               string         `json:"id,omitempty" maxLength:"64" doc:"The user being updated (Zapier's Update User sends it): must be the path's id; an id never changes"`
	UserID           string         `json:"userId,omitempty" maxLength:"64" doc:"Same as id"`
	Status           *string        `json:"status,omitempty" enum:"active,deactivated" doc:"Deactivate or reactivate (also records user.deactivated or user.reactivated)"`
	Name             *string        `json:"name,omitempty" minLength:"1" maxLength:"200"`
	DisplayName      *string        `json:"displayName,omitempty" maxLength:"200"`
	Email            *string        `json:"email,omitempty" maxLength:"254"`
	RoleAlias        *Role          `json:"roleAlias,omitempty"`
	Language         *Language      `json:"language,omitempty"`
	Timezone         *string        `json:"timezone,omitempty"`
	Occupation       *string        `json:"occupation,omitempty" maxLength:"500"`
	Location         *string        `json:"location,omitempty" maxLength:"500"`
	Bio              *string        `json:"bio,omitempty" maxLength:"5000"`
	FromAPI          *bool          `json:"fromApi,omitempty"`
	Password         *string        `json:"password,omitempty" writeOnly:"true"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty" doc:"Merged into the existing values; null removes a key"`
	Attributes       map[string]any `json:"attributes,omitempty" doc:"Konstantly's name for customAttributes"`
}

// CreateUser adds a user to the workspace. Returns invalid for bad fields and
// conflict when the email or id is taken.
func (s *Service) CreateUser(ctx context.Context, workspaceID int64, in UserCreate) (User, error) {
	r, err := newUserRow(workspaceID, in, s.timestamp())
	if err != nil {
		return User{}, err
	}
	if in.Password != "" {
		// Hash before the transaction: argon2 takes tens of milliseconds, and
		// SQLite has one writer.
		h, err := hashPassword(in.Password)
		if err != nil {
			return User{}, err
		}
		r.passwordHash = &h
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.checkAttributeValues(ctx, tx, workspaceID, EntityUser, r.attributes, nil); err != nil {
			return err
		}
		if err := insertUsers(ctx, s.db, tx, []*userRow{&r}); err != nil {
			return err
		}
		_, err := s.events.Record(ctx, tx, workspaceID, EventUserCreated, r.view())
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return r.view(), nil
}

// newUserRow validates in and fills in defaults. The password is checked but
// not hashed.
func newUserRow(workspaceID int64, in UserCreate, now time.Time) (userRow, error) {
	var f fault.Fields
	r := userRow{workspaceID: workspaceID, status: StatusActive, fromAPI: true, createdAt: now, updatedAt: now,
		role: string(in.RoleAlias), language: string(in.Language), timezone: strings.TrimSpace(in.Timezone)}
	r.publicID = strings.TrimSpace(in.ID)
	idField := "id"
	if alt := strings.TrimSpace(in.UserID); alt != "" {
		if r.publicID != "" && r.publicID != alt {
			f.Add("userId", "differs from id; give one of them")
		}
		r.publicID, idField = alt, "userId"
	}
	if r.publicID == "" {
		r.publicID = access.NewID(16)
	} else if !userIDPattern.MatchString(r.publicID) {
		f.Add(idField, "must be 1 to 64 letters, digits, _ or -")
	}
	if in.Status != "" {
		r.status = in.Status
		checkOneOf(&f, "status", r.status, []string{StatusActive, StatusDeactivated})
	}
	r.name = checkText(&f, "name", in.Name, 1, maxNameLen)
	r.displayName = checkText(&f, "displayName", in.DisplayName, 0, maxNameLen)
	r.email, _ = normalizeEmail(&f, "email", in.Email)
	if r.role == "" {
		r.role = "learner"
	}
	checkOneOf(&f, "roleAlias", r.role, Roles)
	if r.language == "" {
		r.language = "en"
	}
	checkOneOf(&f, "language", r.language, Languages)
	if r.timezone == "" {
		r.timezone = "UTC"
	}
	checkTimezone(&f, "timezone", r.timezone)
	r.occupation = checkText(&f, "occupation", in.Occupation, 0, maxTextLen)
	r.location = checkText(&f, "location", in.Location, 0, maxTextLen)
	r.bio = checkText(&f, "bio", in.Bio, 0, maxBioLen)
	if in.FromAPI != nil {
		r.fromAPI = *in.FromAPI
	}
	r.attributes = mergeAttributes(nil, in.Attributes, in.CustomAttributes)
	checkAttributes(&f, "customAttributes", r.attributes)
	if in.Password != "" {
		if msg := checkPassword(in.Password); msg != "" {
			f.Add("password", "%s", msg)
		}
	}
	return r, f.Err()
}

// GetUser returns one user. Returns not_found if the id is not in the
// workspace.
func (s *Service) GetUser(ctx context.Context, workspaceID int64, id string) (User, error) {
	r, err := getUser(ctx, s.db, s.db.Read(), workspaceID, id, false)
	if err != nil {
		return User{}, err
	}
	return r.view(), nil
}

// UpdateUser changes the given fields of a user. Returns not_found, invalid or
// conflict (email taken).
func (s *Service) UpdateUser(ctx context.Context, workspaceID int64, id string, in UserUpdate) (User, error) {
	if err := in.checkNames(id); err != nil {
		return User{}, err
	}
	var passwordHash *string
	if in.Password != nil {
		if msg := checkPassword(*in.Password); msg != "" {
			return User{}, fault.Invalid("password", "%s", msg)
		}
		h, err := hashPassword(*in.Password)
		if err != nil {
			return User{}, err
		}
		passwordHash = &h
	}
	var out User
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getUser(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		wasStatus, before := r.status, r.view()
		if err := applyUserUpdate(&r, in); err != nil {
			return err
		}
		if in.Attributes != nil || in.CustomAttributes != nil {
			touched := touchedKeys(in.Attributes, in.CustomAttributes)
			if err := s.checkAttributeValues(ctx, tx, workspaceID, EntityUser, r.attributes, touched); err != nil {
				return err
			}
		}
		if passwordHash != nil {
			r.passwordHash = passwordHash
		}
		r.updatedAt = s.timestamp()
		if err := updateUserRow(ctx, tx, &r); err != nil {
			return err
		}
		out = r.view()
		change, err := events.WithChanges(before, out)
		if err != nil {
			return err
		}
		pending := []events.Pending{{Type: EventUserUpdated, Data: change}}
		if r.status != wasStatus {
			// Workflows and webhooks listening for the status events see a
			// status set through an update too.
			typ := EventUserReactivated
			if r.status == StatusDeactivated {
				typ = EventUserDeactivated
			}
			pending = append(pending, events.Pending{Type: typ, Data: out})
		}
		_, err = s.events.RecordMany(ctx, tx, workspaceID, pending)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %s: %w", id, err)
	}
	return out, nil
}

// Target returns the user an update's body names (id, else userId), or "".
func (in UserUpdate) Target() string {
	if id := strings.TrimSpace(in.ID); id != "" {
		return id
	}
	return strings.TrimSpace(in.UserID)
}

// checkNames refuses a body whose id or userId names another user than id:
// a mapping mistake that would otherwise update the wrong person silently.
func (in UserUpdate) checkNames(id string) error {
	var f fault.Fields
	if v := strings.TrimSpace(in.ID); v != "" && v != id {
		f.Add("id", "names user %q but the request updates user %q; an id cannot change", v, id)
	}
	if v := strings.TrimSpace(in.UserID); v != "" && v != id {
		f.Add("userId", "names user %q but the request updates user %q; an id cannot change", v, id)
	}
	return f.Err()
}

func applyUserUpdate(r *userRow, in UserUpdate) error {
	var f fault.Fields
	if in.Name != nil {
		r.name = checkText(&f, "name", *in.Name, 1, maxNameLen)
	}
	if in.DisplayName != nil {
		r.displayName = checkText(&f, "displayName", *in.DisplayName, 0, maxNameLen)
	}
	if in.Email != nil {
		r.email, _ = normalizeEmail(&f, "email", *in.Email)
	}
	if in.RoleAlias != nil {
		r.role = string(*in.RoleAlias)
		checkOneOf(&f, "roleAlias", r.role, Roles)
	}
	if in.Language != nil {
		r.language = string(*in.Language)
		checkOneOf(&f, "language", r.language, Languages)
	}
	if in.Timezone != nil {
		r.timezone = strings.TrimSpace(*in.Timezone)
		checkTimezone(&f, "timezone", r.timezone)
	}
	if in.Occupation != nil {
		r.occupation = checkText(&f, "occupation", *in.Occupation, 0, maxTextLen)
	}
	if in.Location != nil {
		r.location = checkText(&f, "location", *in.Location, 0, maxTextLen)
	}
	if in.Bio != nil {
		r.bio = checkText(&f, "bio", *in.Bio, 0, maxBioLen)
	}
	if in.FromAPI != nil {
		r.fromAPI = *in.FromAPI
	}
	if in.Status != nil {
		r.status = *in.Status
		checkOneOf(&f, "status", r.status, []string{StatusActive, StatusDeactivated})
	}
	if in.Attributes != nil || in.CustomAttributes != nil {
		r.attributes = mergeAttributes(r.attributes, in.Attributes, in.CustomAttributes)
		checkAttributes(&f, "customAttributes", r.attributes)
	}
	return f.Err()
}

// mergeAttributes applies patches in order onto base (not modified); a nil
// value removes the key.
func mergeAttributes(base map[string]any, patches ...map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for _, p := range patches {
		for k, v := range p {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// SetUserStatus deactivates or reactivates a user. Setting the status the
// user already has is not an error.
func (s *Service) SetUserStatus(ctx context.Context, workspaceID int64, id, status string) (User, error) {
	var out User
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getUser(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		out = r.view()
		if r.status == status {
			return nil
		}
		r.status = status
		r.updatedAt = s.timestamp()
		if err := updateUserRow(ctx, tx, &r); err != nil {
			return err
		}
		out = r.view()
		typ := EventUserReactivated
		if status == StatusDeactivated {
			typ = EventUserDeactivated
		}
		_, err = s.events.Record(ctx, tx, workspaceID, typ, out)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("set user %s %s: %w", id, status, err)
	}
	return out, nil
}

// DeleteUser removes a user for good. Returns not_found.
func (s *Service) DeleteUser(ctx context.Context, workspaceID int64, id string) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getUser(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		if err := deleteUserRow(ctx, tx, &r); err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventUserDeleted, r.view())
		return err
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	return nil
}

// UserPage is one page of a user list.
type UserPage struct {
	Users      []User `json:"users"`
	TotalCount int    `json:"totalCount" doc:"Number of users matching the filter, across all pages"`
}

// ListUsers returns users sorted by name.
func (s *Service) ListUsers(ctx context.Context, workspaceID int64, f UserFilter) (UserPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	rows, total, err := listUserRows(ctx, s.db.Read(), workspaceID, f)
	if err != nil {
		return UserPage{}, err
	}
	page := UserPage{Users: make([]User, len(rows)), TotalCount: total}
	for i := range rows {
		page.Users[i] = rows[i].view()
	}
	return page, nil
}

package directory

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// Event types for attribute definitions. Each carries the entity and the
// definitions written or removed.
const (
	EventAttributesUpdated = "attribute.updated"
	EventAttributesDeleted = "attribute.deleted"
)

// MaxAttributeDefinitions bounds one entity's definitions in a workspace.
const MaxAttributeDefinitions = 200

// AttributesEvent is the data of attribute events.
type AttributesEvent struct {
	Entity     string                `json:"entity" enum:"user,group"`
	Attributes []AttributeDefinition `json:"attributes"`
	Settings   *AttributeSettings    `json:"settings,omitempty"`
}

// ListAttributes returns an entity's attribute definitions in display order.
func (s *Service) ListAttributes(ctx context.Context, workspaceID int64, entity string) ([]AttributeDefinition, error) {
	defs, err := loadAttributeDefs(ctx, s.db.Read(), workspaceID, entity)
	if err != nil {
		return nil, err
	}
	out := make([]AttributeDefinition, len(defs))
	for i, d := range defs {
		out[i] = d.view()
	}
	return out, nil
}

// UpsertAttributes creates or updates definitions: an item with an id updates
// that definition, one whose key exists updates it, others are created. Type
// and key of an existing definition cannot change. All or nothing.
func (s *Service) UpsertAttributes(ctx context.Context, workspaceID int64, entity string, in []AttributeInput) ([]AttributeDefinition, error) {
	if len(in) == 0 || len(in) > MaxAttributeDefinitions {
		return nil, fault.Invalid("body", "must hold 1 to %d attributes", MaxAttributeDefinitions)
	}
	now := s.timestamp()
	var out []AttributeDefinition
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		existing, err := loadAttributeDefs(ctx, tx, workspaceID, entity)
		if err != nil {
			return err
		}
		byID, byKey, nextPos := map[int64]*attrDef{}, map[string]*attrDef{}, 1
		was := make(map[int64]AttributeDefinition, len(existing)) // before the items change them in place
		for _, d := range existing {
			was[d.id] = d.view()
			byID[d.id], byKey[d.key] = d, d
			nextPos = max(nextPos, d.position+1)
		}
		var f fault.Fields
		written := make([]*attrDef, len(in))
		seen := map[string]int{}
		for i, item := range in {
			field := fmt.Sprintf("body[%d]", i)
			d := matchAttr(&f, field, item, byID, byKey)
			if d == nil {
				continue
			}
			applyAttributeInput(&f, field, d, item)
			if j, dup := seen[d.key]; dup && d.key != "" {
				f.Add(field+".key", "the same key as item %d", j)
			}
			seen[d.key] = i
			if d.id == 0 && d.position == 0 {
				d.position = nextPos
				nextPos++
			}
			written[i] = d
		}
		if len(byKey)+countNew(written) > MaxAttributeDefinitions {
			f.Add("body", "a workspace holds at most %d %s attributes", MaxAttributeDefinitions, entity)
		}
		if err := f.Err(); err != nil {
			return err
		}
		for _, d := range written {
			d.updatedAt = now
			if d.id == 0 {
				d.createdAt = now
				err = insertAttr(ctx, tx, workspaceID, entity, d)
			} else {
				err = updateAttr(ctx, tx, d)
			}
			if err != nil {
				return err
			}
			out = append(out, d.view())
		}
		before := AttributesEvent{Entity: entity, Attributes: []AttributeDefinition{}}
		for _, d := range out {
			if old, ok := was[d.ID]; ok {
				before.Attributes = append(before.Attributes, old)
			}
		}
		change, err := events.WithChanges(before, AttributesEvent{Entity: entity, Attributes: out})
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventAttributesUpdated, change)
		return err
	})
	s.schemas.drop(schemaKey{workspaceID, entity})
	if err != nil {
		return nil, fmt.Errorf("upsert %s attributes: %w", entity, err)
	}
	return out, nil
}

// matchAttr finds the definition an item updates, or returns a new one.
func matchAttr(f *fault.Fields, field string, item AttributeInput, byID map[int64]*attrDef, byKey map[string]*attrDef) *attrDef {
	if item.ID != 0 {
		d, ok := byID[item.ID.Int64()]
		if !ok {
			f.Add(field+".id", "no attribute with id %d", item.ID)
			return nil
		}
		c := *d
		return &c
	}
	key := strings.TrimSpace(item.Key)
	if key == "" {
		key = strings.TrimSpace(item.APIID)
	}
	if key == "" {
		key = keyFromName(item.Name)
	}
	if d, ok := byKey[key]; ok {
		c := *d
		return &c
	}
	return &attrDef{}
}

func countNew(defs []*attrDef) int {
	n := 0
	for _, d := range defs {
		if d != nil && d.id == 0 {
			n++
		}
	}
	return n
}

// DeleteAttribute removes a definition. Values already stored under its key
// stay on the records; they are then unknown keys.
func (s *Service) DeleteAttribute(ctx context.Context, workspaceID int64, entity, key string) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		d, err := deleteAttr(ctx, tx, workspaceID, entity, key)
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventAttributesDeleted,
			AttributesEvent{Entity: entity, Attributes: []AttributeDefinition{d.view()}})
		return err
	})
	s.schemas.drop(schemaKey{workspaceID, entity})
	if err != nil {
		return fmt.Errorf("delete %s attribute %s: %w", entity, key, err)
	}
	return nil
}

// AttributeSettings returns the workspace's rules for entity's attributes.
func (s *Service) AttributeSettings(ctx context.Context, workspaceID int64, entity string) (AttributeSettings, error) {
	sch, err := loadAttributeSchema(ctx, s.db.Read(), workspaceID, entity)
	if err != nil {
		return AttributeSettings{}, err
	}
	return sch.settings, nil
}

// SetAttributeSettings changes the workspace's rules for entity's attributes.
// Existing values are not re-checked; the next write of each record is.
func (s *Service) SetAttributeSettings(ctx context.Context, workspaceID int64, entity string, in AttributeSettingsUpdate) (AttributeSettings, error) {
	var out AttributeSettings
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		defs, err := loadAttributeDefs(ctx, tx, workspaceID, entity)
		if err != nil {
			return err
		}
		was, err := getAttributeSettings(ctx, tx, workspaceID, entity, len(defs))
		if err != nil {
			return err
		}
		if err := putAttributeSettings(ctx, tx, workspaceID, entity, in.AllowUnknown, s.timestamp()); err != nil {
			return err
		}
		if out, err = getAttributeSettings(ctx, tx, workspaceID, entity, len(defs)); err != nil {
			return err
		}
		ev := AttributesEvent{Entity: entity, Attributes: make([]AttributeDefinition, len(defs)), Settings: &out}
		for i, d := range defs {
			ev.Attributes[i] = d.view()
		}
		before := ev
		before.Settings = &was
		change, err := events.WithChanges(before, ev)
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventAttributesUpdated, change)
		return err
	})
	s.schemas.drop(schemaKey{workspaceID, entity})
	if err != nil {
		return AttributeSettings{}, fmt.Errorf("set %s attribute settings: %w", entity, err)
	}
	return out, nil
}

package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

const attrColumns = `id, attr_key, name, type, options, multiple, is_required, is_visible, is_editable, position, created_at, updated_at`

func scanAttr(s rowScanner) (*attrDef, error) {
	var (
		options          []byte
		created, updated int64
	)
	a := &attrDef{}
	err := s.Scan(&a.id, &a.key, &a.name, &a.typ, &options, &a.multiple, &a.required, &a.visible, &a.editable, &a.position, &created, &updated)
	if err != nil {
		return nil, err
	}
	if len(options) > 0 {
		if err := json.Unmarshal(options, &a.options); err != nil {
			return nil, fmt.Errorf("decode options of attribute %s: %w", a.key, err)
		}
	}
	a.createdAt, a.updatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return a, nil
}

// loadAttributeDefs returns an entity's definitions in display order.
func loadAttributeDefs(ctx context.Context, q db.Querier, workspaceID int64, entity string) ([]*attrDef, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+attrColumns+` FROM attribute_definitions
		WHERE workspace_id = $1 AND entity = $2 ORDER BY position, id`, workspaceID, entity)
	if err != nil {
		return nil, fmt.Errorf("load %s attributes: %w", entity, err)
	}
	defer rows.Close()
	var out []*attrDef
	for rows.Next() {
		d, err := scanAttr(rows)
		if err != nil {
			return nil, fmt.Errorf("load %s attributes: %w", entity, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// loadAttributeSchema reads what custom attribute values of entity must obey.
func loadAttributeSchema(ctx context.Context, q db.Querier, workspaceID int64, entity string) (attributeSchema, error) {
	defs, err := loadAttributeDefs(ctx, q, workspaceID, entity)
	if err != nil {
		return attributeSchema{}, err
	}
	settings, err := getAttributeSettings(ctx, q, workspaceID, entity, len(defs))
	if err != nil {
		return attributeSchema{}, err
	}
	s := attributeSchema{defs: make(map[string]*attrDef, len(defs)), allowUnknown: settings.AllowUnknown, settings: settings}
	for _, d := range defs {
		s.defs[d.key] = d
	}
	return s, nil
}

// getAttributeSettings reads the settings; without a stored choice, unknown
// keys are allowed while the entity has no definitions (defined counts them).
func getAttributeSettings(ctx context.Context, q db.Querier, workspaceID int64, entity string, defined int) (AttributeSettings, error) {
	s := AttributeSettings{}
	err := q.QueryRowContext(ctx, `SELECT allow_unknown FROM attribute_settings WHERE workspace_id = $1 AND entity = $2`,
		workspaceID, entity).Scan(&s.AllowUnknown)
	if db.IsNoRows(err) {
		return AttributeSettings{AllowUnknown: defined == 0, IsDefault: true}, nil
	}
	if err != nil {
		return s, fmt.Errorf("read %s attribute settings: %w", entity, err)
	}
	return s, nil
}

// putAttributeSettings stores the choice, or forgets it for nil.
func putAttributeSettings(ctx context.Context, q db.Querier, workspaceID int64, entity string, allowUnknown *bool, now time.Time) error {
	var err error
	if allowUnknown == nil {
		_, err = q.ExecContext(ctx, `DELETE FROM attribute_settings WHERE workspace_id = $1 AND entity = $2`, workspaceID, entity)
	} else {
		_, err = q.ExecContext(ctx, `INSERT INTO attribute_settings (workspace_id, entity, allow_unknown, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (workspace_id, entity) DO UPDATE SET allow_unknown = excluded.allow_unknown, updated_at = excluded.updated_at`,
			workspaceID, entity, *allowUnknown, now.UnixMilli())
	}
	if err != nil {
		return fmt.Errorf("write %s attribute settings: %w", entity, err)
	}
	return nil
}

func encodeOptions(options []string) string {
	if options == nil {
		return "[]"
	}
	b, _ := json.Marshal(options) // strings always encode
	return string(b)
}

func insertAttr(ctx context.Context, q db.Querier, workspaceID int64, entity string, d *attrDef) error {
	err := q.QueryRowContext(ctx, `INSERT INTO attribute_definitions (workspace_id, entity, attr_key, name, type, options,
		multiple, is_required, is_visible, is_editable, position, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		workspaceID, entity, d.key, d.name, d.typ, encodeOptions(d.options), d.multiple, d.required, d.visible, d.editable,
		d.position, d.createdAt.UnixMilli(), d.updatedAt.UnixMilli()).Scan(&d.id)
	if db.IsUniqueViolation(err) {
		return fault.Conflict("attribute_key_taken", "key", "an attribute with key %q already exists", d.key)
	}
	if err != nil {
		return fmt.Errorf("insert attribute %s: %w", d.key, err)
	}
	return nil
}

func updateAttr(ctx context.Context, q db.Querier, d *attrDef) error {
	_, err := q.ExecContext(ctx, `UPDATE attribute_definitions SET name = $1, options = $2, is_required = $3, is_visible = $4,
		is_editable = $5, position = $6, updated_at = $7 WHERE id = $8`,
		d.name, encodeOptions(d.options), d.required, d.visible, d.editable, d.position, d.updatedAt.UnixMilli(), d.id)
	if err != nil {
		return fmt.Errorf("update attribute %s: %w", d.key, err)
	}
	return nil
}

func deleteAttr(ctx context.Context, q db.Querier, workspaceID int64, entity, key string) (*attrDef, error) {
	d, err := scanAttr(q.QueryRowContext(ctx, `DELETE FROM attribute_definitions WHERE workspace_id = $1 AND entity = $2 AND attr_key = $3
		RETURNING `+attrColumns, workspaceID, entity, key))
	if db.IsNoRows(err) {
		return nil, fault.NotFound("attribute " + key)
	}
	if err != nil {
		return nil, fmt.Errorf("delete attribute %s: %w", key, err)
	}
	return d, nil
}

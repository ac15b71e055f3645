package directory

import (
	"context"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// schemaTTL bounds how long a node uses attribute definitions it has read:
// loading them on every user write cost a third of users.create throughput.
// A change made on this node applies at once; one made on another node
// within schemaTTL (as with the API key cache).
const schemaTTL = 5 * time.Second

type schemaKey struct {
	workspaceID int64
	entity      string
}

type cachedSchema struct {
	schema attributeSchema
	until  time.Time
}

// schemaCache holds attribute schemas by workspace and entity. gen counts
// invalidations, so a load that raced with a change is not kept.
type schemaCache struct {
	mu      sync.Mutex
	entries map[schemaKey]cachedSchema
	gen     uint64
}

func (c *schemaCache) get(k schemaKey, now time.Time) (attributeSchema, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok && now.Before(e.until) {
		return e.schema, c.gen, true
	}
	return attributeSchema{}, c.gen, false
}

func (c *schemaCache) put(k schemaKey, s attributeSchema, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = map[schemaKey]cachedSchema{}
	}
	c.entries[k] = cachedSchema{schema: s, until: now.Add(schemaTTL)}
}

func (c *schemaCache) drop(k schemaKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, k)
}

// attributeSchema returns the workspace's schema for entity, from the cache
// when fresh.
func (s *Service) attributeSchema(ctx context.Context, q db.Querier, workspaceID int64, entity string) (attributeSchema, error) {
	k, now := schemaKey{workspaceID, entity}, s.now()
	if sch, _, ok := s.schemas.get(k, now); ok {
		return sch, nil
	}
	_, gen, _ := s.schemas.get(k, now)
	sch, err := loadAttributeSchema(ctx, q, workspaceID, entity)
	if err != nil {
		return sch, err
	}
	s.schemas.put(k, sch, gen, now)
	return sch, nil
}

// checkAttributeValues validates attrs against the workspace's definitions;
// see attributeSchema.check for touched.
func (s *Service) checkAttributeValues(ctx context.Context, q db.Querier, workspaceID int64, entity string, attrs map[string]any, touched map[string]bool) error {
	sch, err := s.attributeSchema(ctx, q, workspaceID, entity)
	if err != nil {
		return err
	}
	var f fault.Fields
	sch.check(&f, "customAttributes", attrs, touched)
	return f.Err()
}

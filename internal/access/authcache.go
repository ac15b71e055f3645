package access

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A verified key is cached so that a request does not cost a database
// look-up, but a revocation or a workspace deletion must take effect at once
// on every node. So the cache is used only while this node is listening for
// invalidations (PostgreSQL LISTEN/NOTIFY); on SQLite, where the CLI in
// another process may revoke a key, and whenever the listening connection is
// down, every request asks the database.

// authChannel carries a revoked key's id, or allKeys, to every node.
const (
	authChannel = "roster_auth"
	allKeys     = "*"
)

// authCacheTTL bounds how long a cached verification lives even while
// invalidations arrive, as a second line of defence.
const authCacheTTL = time.Minute

type cachedPrincipal struct {
	p       Principal
	expires time.Time
}

type authCache struct {
	entries sync.Map // secret hash -> cachedPrincipal
	live    atomic.Bool
}

func (c *authCache) get(hash string, now time.Time) (Principal, bool) {
	if !c.live.Load() {
		return Principal{}, false
	}
	v, ok := c.entries.Load(hash)
	if !ok {
		return Principal{}, false
	}
	if e := v.(cachedPrincipal); now.Before(e.expires) {
		return e.p, true
	}
	c.entries.Delete(hash)
	return Principal{}, false
}

func (c *authCache) put(hash string, p Principal, now time.Time) {
	if c.live.Load() {
		c.entries.Store(hash, cachedPrincipal{p: p, expires: now.Add(authCacheTTL)})
	}
}

// forget drops the cached verifications of key id, or of every key.
func (c *authCache) forget(id string) {
	c.entries.Range(func(k, v any) bool {
		if id == allKeys || v.(cachedPrincipal).p.KeyID == id {
			c.entries.Delete(k)
		}
		return true
	})
}

func (c *authCache) setLive(on bool) {
	if !on {
		c.live.Store(false)
		c.forget(allKeys) // invalidations may have been missed
		return
	}
	c.forget(allKeys)
	c.live.Store(true)
}

// WatchRevocations keeps this node's key cache in step with revocations and
// workspace deletions made on any node, until ctx ends.
func (s *Service) WatchRevocations(ctx context.Context) {
	s.db.Listen(ctx, authChannel, s.authCache.forget, s.authCache.setLive)
}

package directory

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// LoginLinkTTL is how long a one-time sign-in link stays valid (Konstantly's
// links expire after 30 seconds: they are meant to be followed at once).
const LoginLinkTTL = 30 * time.Second

// LoginPath is where a sign-in link points, below the public URL.
const LoginPath = "/sso/login/"

// LoginLink is a one-time sign-in URL.
type LoginLink struct {
	URL       string `json:"url" doc:"One-time sign-in URL; valid for 30 seconds" example:"https://roster.example.com/sso/login/Xk2…"`
	ExpiresAt int64  `json:"expiresAt" doc:"Unix seconds"`
}

// LoginLinkOutput carries a sign-in link.
type LoginLinkOutput struct{ Body LoginLink }

// SetPublicURL sets the base URL that sign-in links start with
// (ROSTER_PUBLIC_URL).
func (s *Service) SetPublicURL(u string) { s.publicURL = strings.TrimRight(u, "/") }

func hashLoginToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateLoginLink makes a one-time sign-in link for an active user. Only the
// token's hash is stored; the URL is shown this once.
func (s *Service) CreateLoginLink(ctx context.Context, workspaceID int64, id string) (LoginLink, error) {
	token := access.RandomString(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
	now := s.timestamp()
	expires := now.Add(LoginLinkTTL)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getUser(ctx, s.db, tx, workspaceID, id, false)
		if err != nil {
			return err
		}
		if r.status != StatusActive {
			return fault.Conflict("user_deactivated", "id", "user %s is deactivated and cannot sign in", id)
		}
		// Expired links are dropped here rather than by a sweeper: the table
		// stays as small as the links of the last half minute.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_links WHERE expires_at < $1`, now.UnixMilli()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO login_links (token_hash, workspace_id, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, hashLoginToken(token), workspaceID, r.pk, now.UnixMilli(), expires.UnixMilli())
		return err
	})
	if err != nil {
		return LoginLink{}, fmt.Errorf("create login link for user %s: %w", id, err)
	}
	return LoginLink{URL: s.publicURL + LoginPath + token, ExpiresAt: expires.Unix()}, nil
}

// ConsumeLoginLink uses a sign-in link: it returns the user and workspace
// once, and not_found for a link that is unknown, expired or already used
// (the caller cannot tell which, so tokens cannot be probed).
func (s *Service) ConsumeLoginLink(ctx context.Context, token string) (int64, User, error) {
	var (
		workspaceID int64
		u           User
	)
	now := s.now().UnixMilli()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var userPK int64
		err := tx.QueryRowContext(ctx, `UPDATE login_links SET used_at = $1
			WHERE token_hash = $2 AND used_at IS NULL AND expires_at >= $1 RETURNING workspace_id, user_id`,
			now, hashLoginToken(token)).Scan(&workspaceID, &userPK)
		if db.IsNoRows(err) {
			return fault.NotFound("sign-in link (unknown, expired or already used)")
		}
		if err != nil {
			return err
		}
		r, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userPK))
		if err != nil {
			return err
		}
		if r.status != StatusActive {
			return fault.NotFound("sign-in link (unknown, expired or already used)")
		}
		u = r.view()
		return nil
	})
	if err != nil {
		return 0, User{}, fmt.Errorf("use login link: %w", err)
	}
	return workspaceID, u, nil
}

// loginLinkOp is Konstantly's GET /users/{id}/sso; the Chatwoot platform
// face's /users/{id}/login calls it too.
func (s *Service) loginLinkOp() *op.Op[UserIDParam, LoginLinkOutput] {
	return &op.Op[UserIDParam, LoginLinkOutput]{
		ID: "users.login_link", Tag: "Users", Scope: access.UsersWrite, Method: http.MethodGet, Path: "/users/{id}/sso",
		MoreErrors: []int{http.StatusConflict}, // a deactivated or blocked user cannot sign in
		Summary:    "Get a one-time sign-in link",
		Description: "A URL that signs the user in once, within 30 seconds. Needs `users.write`: the link acts as the user. " +
			"The same link is what the Chatwoot platform API's `/users/{id}/login` answers.",
		Run: func(ctx context.Context, p access.Principal, in *UserIDParam) (*LoginLinkOutput, error) {
			l, err := s.CreateLoginLink(ctx, p.WorkspaceID, in.ID)
			return &LoginLinkOutput{Body: l}, err
		},
	}
}

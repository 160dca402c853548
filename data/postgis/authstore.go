package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lifeline/accounts"
)

var _ accounts.Store = (*Store)(nil)

const accountCols = `id, username, role, password_hash, created_at, updated_at, revoked_at`

func scanAccount(row pgx.Row) (accounts.Account, error) {
	var a accounts.Account
	var role string
	err := row.Scan(&a.ID, &a.Username, &role, &a.PasswordHash, &a.CreatedAt, &a.UpdatedAt, &a.RevokedAt)
	a.Role = accounts.Role(role)
	a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), utc(a.UpdatedAt)
	a.RevokedAt = utcPtr(a.RevokedAt)
	return a, err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

func microPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := accounts.Micro(*t)
	return &v
}

// authErr maps database errors of the accounts tables to the accounts errors.
func authErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s", accounts.ErrNotFound, what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %s", accounts.ErrConflict, what)
		case "23503":
			return &accounts.ValidationError{Path: "account_id", Message: "no such account"}
		case "23514", "23502":
			return &accounts.ValidationError{Path: what, Message: pe.Message}
		}
	}
	return fmt.Errorf("postgis: %s: %w", what, err)
}

// CreateAccount implements accounts.Store.
func (s *Store) CreateAccount(ctx context.Context, a accounts.Account) (accounts.Account, error) {
	if err := a.Validate(); err != nil {
		return accounts.Account{}, err
	}
	now := accounts.Micro(time.Now())
	out, err := scanAccount(s.pool.QueryRow(ctx, `INSERT INTO accounts (username, role, password_hash, created_at, updated_at, revoked_at)
		VALUES ($1, $2, $3, $4, $4, $5) RETURNING `+accountCols, a.Username, string(a.Role), a.PasswordHash, now, microPtr(a.RevokedAt)))
	return out, authErr(err, "username "+a.Username)
}

// GetAccount implements accounts.Store.
func (s *Store) GetAccount(ctx context.Context, id int64) (accounts.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	return a, authErr(err, fmt.Sprintf("account %d", id))
}

// GetAccountByUsername implements accounts.Store.
func (s *Store) GetAccountByUsername(ctx context.Context, username string) (accounts.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE username = $1`, username))
	return a, authErr(err, fmt.Sprintf("account %q", username))
}

// ListAccounts implements accounts.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]accounts.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, authErr(err, "list accounts")
	}
	defer rows.Close()
	out := []accounts.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, authErr(err, "list accounts")
		}
		out = append(out, a)
	}
	return out, authErr(rows.Err(), "list accounts")
}

// UpdateAccount implements accounts.Store.
func (s *Store) UpdateAccount(ctx context.Context, a accounts.Account) (accounts.Account, error) {
	if !a.Role.Valid() {
		return accounts.Account{}, &accounts.ValidationError{Path: "role", Message: fmt.Sprintf("%q is not a role (admin, planner, dispatcher, driver, viewer)", a.Role)}
	}
	out, err := scanAccount(s.pool.QueryRow(ctx, `UPDATE accounts SET role = $2, password_hash = $3, revoked_at = $4, updated_at = $5
		WHERE id = $1 RETURNING `+accountCols, a.ID, string(a.Role), a.PasswordHash, microPtr(a.RevokedAt), accounts.Micro(time.Now())))
	return out, authErr(err, fmt.Sprintf("account %d", a.ID))
}

const credCols = `id, account_id, kind, hash, name, created_at, expires_at, revoked_at`

func scanCred(row pgx.Row, extra ...any) (accounts.Credential, error) {
	var c accounts.Credential
	var kind string
	err := row.Scan(append([]any{&c.ID, &c.AccountID, &kind, &c.Hash, &c.Name, &c.CreatedAt, &c.ExpiresAt, &c.RevokedAt}, extra...)...)
	c.Kind = accounts.Kind(kind)
	c.CreatedAt, c.ExpiresAt, c.RevokedAt = utc(c.CreatedAt), utc(c.ExpiresAt), utcPtr(c.RevokedAt)
	return c, err
}

// CreateCredential implements accounts.Store.
func (s *Store) CreateCredential(ctx context.Context, c accounts.Credential) (accounts.Credential, error) {
	if err := c.Validate(); err != nil {
		return accounts.Credential{}, err
	}
	out, err := scanCred(s.pool.QueryRow(ctx, `INSERT INTO credentials (account_id, kind, hash, name, created_at, expires_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+credCols,
		c.AccountID, string(c.Kind), c.Hash, c.Name, accounts.Micro(time.Now()), accounts.Micro(c.ExpiresAt), microPtr(c.RevokedAt)))
	return out, authErr(err, "credential")
}

const credJoin = `SELECT c.id, c.account_id, c.kind, c.hash, c.name, c.created_at, c.expires_at, c.revoked_at,
	a.id, a.username, a.role, a.password_hash, a.created_at, a.updated_at, a.revoked_at
	FROM credentials c JOIN accounts a ON a.id = c.account_id`

func scanCredAccount(row pgx.Row) (accounts.Credential, accounts.Account, error) {
	var a accounts.Account
	var role string
	c, err := scanCred(row, &a.ID, &a.Username, &role, &a.PasswordHash, &a.CreatedAt, &a.UpdatedAt, &a.RevokedAt)
	a.Role = accounts.Role(role)
	a.CreatedAt, a.UpdatedAt, a.RevokedAt = utc(a.CreatedAt), utc(a.UpdatedAt), utcPtr(a.RevokedAt)
	return c, a, err
}

// CredentialByHash implements accounts.Store.
func (s *Store) CredentialByHash(ctx context.Context, hash string) (accounts.Credential, accounts.Account, error) {
	c, a, err := scanCredAccount(s.pool.QueryRow(ctx, credJoin+` WHERE c.hash = $1`, hash))
	return c, a, authErr(err, "credential")
}

// ListCredentials implements accounts.Store.
func (s *Store) ListCredentials(ctx context.Context, accountID int64) ([]accounts.Credential, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+credCols+` FROM credentials WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, authErr(err, "list credentials")
	}
	defer rows.Close()
	out := []accounts.Credential{}
	for rows.Next() {
		c, err := scanCred(rows)
		if err != nil {
			return nil, authErr(err, "list credentials")
		}
		out = append(out, c)
	}
	return out, authErr(rows.Err(), "list credentials")
}

// RevokeCredential implements accounts.Store.
func (s *Store) RevokeCredential(ctx context.Context, id int64, at time.Time) error {
	var got int64
	err := s.pool.QueryRow(ctx, `UPDATE credentials SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id`, id, accounts.Micro(at)).Scan(&got)
	return authErr(err, fmt.Sprintf("credential %d", id))
}

// ConsumeCredential implements accounts.Store (one UPDATE ... WHERE
// revoked_at IS NULL: of concurrent callers exactly one gets the row).
func (s *Store) ConsumeCredential(ctx context.Context, hash string, at time.Time) (accounts.Credential, accounts.Account, error) {
	c, a, err := scanCredAccount(s.pool.QueryRow(ctx, `WITH u AS (UPDATE credentials SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL RETURNING *)
		SELECT c.id, c.account_id, c.kind, c.hash, c.name, c.created_at, c.expires_at, c.revoked_at,
		a.id, a.username, a.role, a.password_hash, a.created_at, a.updated_at, a.revoked_at
		FROM u c JOIN accounts a ON a.id = c.account_id`, hash, accounts.Micro(at)))
	return c, a, authErr(err, "credential")
}

// AppendAudit implements accounts.Store.
func (s *Store) AppendAudit(ctx context.Context, e accounts.AuditEntry) (accounts.AuditEntry, error) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = accounts.Micro(e.At)
	err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor, role, request_id, method, route, status, entity, entity_id, summary, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		e.At, e.Actor, string(e.Role), e.RequestID, e.Method, e.Route, e.Status, e.Entity, e.EntityID, e.Summary, e.Before, e.After).Scan(&e.ID)
	return e, authErr(err, "audit entry")
}

// ListAudit implements accounts.Store.
func (s *Store) ListAudit(ctx context.Context, f accounts.AuditFilter) ([]accounts.AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	var since *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, role, request_id, method, route, status, entity, entity_id, summary, before, after
		FROM audit_log WHERE ($1 = '' OR entity = $1) AND ($2 = '' OR entity_id = $2) AND ($3::timestamptz IS NULL OR at >= $3)
		ORDER BY id LIMIT $4`, f.Entity, f.EntityID, since, limit)
	if err != nil {
		return nil, authErr(err, "list audit")
	}
	defer rows.Close()
	out := []accounts.AuditEntry{}
	for rows.Next() {
		var e accounts.AuditEntry
		var role string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &role, &e.RequestID, &e.Method, &e.Route, &e.Status, &e.Entity, &e.EntityID, &e.Summary, &e.Before, &e.After); err != nil {
			return nil, authErr(err, "list audit")
		}
		e.Role, e.At = accounts.Role(role), utc(e.At)
		out = append(out, e)
	}
	return out, authErr(rows.Err(), "list audit")
}

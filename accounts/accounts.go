// Package accounts is lifeline's identity domain: accounts with one role
// each, credentials (API bearer tokens, browser sessions, one-time sign-in
// links; only their SHA-256 hashes are kept), and the append-only audit trail.
// Store is the interface that both stores (data/memstore, data/postgis)
// implement; data/storetest checks that they agree.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Role is what an account may do (see api/auth/policy.go for the table).
type Role string

// The roles. Admin may do everything.
const (
	RoleAdmin      Role = "admin"
	RolePlanner    Role = "planner"    // zones, compounds, facilities, site plans
	RoleDispatcher Role = "dispatcher" // shuttles, deliveries, optimisation, patient registry, route lists
	RoleDriver     Role = "driver"     // their own route lists and status updates, nothing else
	RoleViewer     Role = "viewer"     // the map, no personal data
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RolePlanner, RoleDispatcher, RoleDriver, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// SeesPersonalData reports whether the role may read patients' names, phone
// numbers and exact addresses unmasked (dispatchers and admins only).
func (r Role) SeesPersonalData() bool { return r == RoleAdmin || r == RoleDispatcher }

// Account is one person or API client.
type Account struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     Role   `json:"role"`
	// PasswordHash is a PHC string from HashPassword ("" = no password:
	// the account signs in by token or one-time link only). Never rendered.
	PasswordHash string     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"` // set: the account can no longer sign in
}

// Active reports whether the account may authenticate at t.
func (a Account) Active(t time.Time) bool { return a.RevokedAt == nil || t.Before(*a.RevokedAt) }

// Kind of credential.
type Kind string

// Credential kinds.
const (
	KindToken   Kind = "token"   // API bearer token
	KindSession Kind = "session" // browser session cookie
	KindLink    Kind = "link"    // one-time sign-in link (consumed on use)
)

// Credential is a secret that authenticates an account. Only the SHA-256
// of the secret is stored (Hash, 64 hex digits).
type Credential struct {
	ID        int64      `json:"id"`
	AccountID int64      `json:"account_id"`
	Kind      Kind       `json:"kind"`
	Hash      string     `json:"-"`
	Name      string     `json:"name,omitempty"` // what the token is for
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Valid reports whether the credential authenticates at t.
func (c Credential) Valid(t time.Time) bool {
	return t.Before(c.ExpiresAt) && (c.RevokedAt == nil || t.Before(*c.RevokedAt))
}

// AuditEntry is one line of the audit trail: who did which write, when, and
// what changed. Before/After are JSON (null when unknown or withheld).
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"` // username
	Role      Role      `json:"role"`
	RequestID string    `json:"request_id"`
	Method    string    `json:"method"`
	Route     string    `json:"route"` // the route pattern, e.g. /v1/zones/:id
	Status    int       `json:"status"`
	Entity    string    `json:"entity"`              // kind: zone, compound, account, ...
	EntityID  string    `json:"entity_id,omitempty"` // the id of the entity written ("" if none)
	Summary   string    `json:"summary"`             // the request body summary (JSON)
	Before    string    `json:"before,omitempty"`    // JSON of the entity before, when cheap
	After     string    `json:"after,omitempty"`     // JSON of the result, when cheap
}

// AuditFilter selects audit entries: Entity ("" any) and EntityID ("" any),
// At >= Since (zero: any), at most Limit (<= 0: 1000), oldest first.
type AuditFilter struct {
	Entity   string
	EntityID string
	Since    time.Time
	Limit    int
}

// Store keeps accounts, credentials and the audit trail. Implementations
// are safe for concurrent use; times are kept to the microsecond in UTC.
type Store interface {
	// CreateAccount assigns ID, CreatedAt and UpdatedAt; ErrConflict when
	// the username is taken, *ValidationError for a bad username or role.
	CreateAccount(ctx context.Context, a Account) (Account, error)
	GetAccount(ctx context.Context, id int64) (Account, error)
	GetAccountByUsername(ctx context.Context, username string) (Account, error)
	// ListAccounts returns every account in ascending ID order (never nil).
	ListAccounts(ctx context.Context) ([]Account, error)
	// UpdateAccount replaces Role, PasswordHash and RevokedAt of a.ID.
	UpdateAccount(ctx context.Context, a Account) (Account, error)
	// CreateCredential stores c (Hash required), assigning ID and CreatedAt;
	// ErrConflict when the hash exists.
	CreateCredential(ctx context.Context, c Credential) (Credential, error)
	// CredentialByHash returns the credential and its account (ErrNotFound
	// when unknown; validity is the caller's check).
	CredentialByHash(ctx context.Context, hash string) (Credential, Account, error)
	// ListCredentials returns the account's credentials, ascending ID.
	ListCredentials(ctx context.Context, accountID int64) ([]Credential, error)
	// RevokeCredential sets RevokedAt = at unless already revoked;
	// ErrNotFound for an unknown id.
	RevokeCredential(ctx context.Context, id int64, at time.Time) error
	// ConsumeCredential revokes the credential with this hash at `at` and
	// returns it, atomically: of two concurrent callers only one gets it
	// (the other ErrNotFound). Used for one-time links.
	ConsumeCredential(ctx context.Context, hash string, at time.Time) (Credential, Account, error)
	// AppendAudit adds e (ID assigned; At kept), append-only.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Errors.
var (
	ErrNotFound = errors.New("accounts: not found")
	ErrConflict = errors.New("accounts: already exists")
)

// ValidationError names the bad field.
type ValidationError struct {
	Path, Message string
}

func (e *ValidationError) Error() string { return e.Path + ": " + e.Message }

// PathMessage lets the API render it as a 422 naming the field.
func (e *ValidationError) PathMessage() (string, string) { return e.Path, e.Message }

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// Validate checks the fields both stores rely on.
func (a Account) Validate() error {
	if !usernameRe.MatchString(a.Username) {
		return &ValidationError{"username", fmt.Sprintf("%q must be 2-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", a.Username)}
	}
	if !a.Role.Valid() {
		return &ValidationError{"role", fmt.Sprintf("%q is not a role (admin, planner, dispatcher, driver, viewer)", a.Role)}
	}
	return nil
}

// Validate checks a credential before it is stored.
func (c Credential) Validate() error {
	switch c.Kind {
	case KindToken, KindSession, KindLink:
	default:
		return &ValidationError{"kind", fmt.Sprintf("%q is not a credential kind", c.Kind)}
	}
	if len(c.Hash) != 64 {
		return &ValidationError{"hash", "must be 64 hex digits (SHA-256)"}
	}
	if c.AccountID <= 0 {
		return &ValidationError{"account_id", "required"}
	}
	return nil
}

// NewSecret returns a random secret of 256 bits, base64url without padding
// (43 characters), and its hash for the store.
func NewSecret() (secret, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a random secret: hex SHA-256 (a
// random 256-bit secret needs no salt or slow KDF).
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Micro truncates t to the microsecond in UTC (both stores' precision).
func Micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

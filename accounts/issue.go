package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Issue creates a credential of kind for the account, valid for ttl from
// now, and returns the secret (shown once, never stored) with it.
func Issue(ctx context.Context, s Store, accountID int64, kind Kind, name string, ttl time.Duration, now time.Time) (string, Credential, error) {
	secret, hash := NewSecret()
	c, err := s.CreateCredential(ctx, Credential{AccountID: accountID, Kind: kind, Hash: hash, Name: name, ExpiresAt: now.Add(ttl)})
	return secret, c, err
}

// Revoke marks the account revoked at now and revokes all its credentials.
func Revoke(ctx context.Context, s Store, a Account, now time.Time) (Account, error) {
	if a.RevokedAt == nil {
		t := Micro(now)
		a.RevokedAt = &t
		var err error
		if a, err = s.UpdateAccount(ctx, a); err != nil {
			return a, err
		}
	}
	cs, err := s.ListCredentials(ctx, a.ID)
	if err != nil {
		return a, err
	}
	for _, c := range cs {
		if c.RevokedAt == nil {
			if err := s.RevokeCredential(ctx, c.ID, now); err != nil {
				return a, err
			}
		}
	}
	return a, nil
}

// DemoAccounts are the demo district's accounts, one per role; the password
// of each is its username. Documented in the README: never use them on a
// live system (revoke with `lifeline user revoke`).
var DemoAccounts = []struct {
	Username string
	Role     Role
}{
	{"demo-admin", RoleAdmin},
	{"demo-planner", RolePlanner},
	{"demo-dispatcher", RoleDispatcher},
	{"demo-driver", RoleDriver},
	{"demo-viewer", RoleViewer},
}

// CreateDemoAccounts creates the demo accounts that do not exist yet.
func CreateDemoAccounts(ctx context.Context, s Store) error {
	for _, d := range DemoAccounts {
		_, err := s.CreateAccount(ctx, Account{Username: d.Username, Role: d.Role, PasswordHash: HashPassword(d.Username)})
		if err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("demo account %s: %w", d.Username, err)
		}
	}
	return nil
}

// FirstAdmin creates the account "admin" (no password) with a one-time
// sign-in link valid for ttl when the store has no admin account yet, and
// returns the link's secret ("" when an admin exists).
func FirstAdmin(ctx context.Context, s Store, ttl time.Duration, now time.Time) (string, error) {
	all, err := s.ListAccounts(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range all {
		if a.Role == RoleAdmin && a.Username != "demo-admin" {
			return "", nil
		}
	}
	a, err := s.CreateAccount(ctx, Account{Username: "admin", Role: RoleAdmin})
	if err != nil {
		return "", err
	}
	secret, _, err := Issue(ctx, s, a.ID, KindLink, "first sign-in", ttl, now)
	return secret, err
}

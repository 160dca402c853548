package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lifeline/accounts"
)

// RunAuth is the conformance suite of accounts.Store (accounts, tokens,
// sessions, one-time links, the audit trail); open returns a fresh, empty
// store per subtest, closed by the caller's cleanup.
//   - usernames are unique (ErrConflict), bad usernames and roles are
//     *accounts.ValidationError and write nothing;
//   - UpdateAccount changes role, password hash and revocation, never the
//     username or CreatedAt;
//   - credentials are found by hash with their account; revocation is
//     recorded once; ConsumeCredential hands a one-time link to one caller;
//   - the audit trail keeps entries in order with increasing ids and filters
//     by entity, entity id and time.
func RunAuth(t *testing.T, open func(t *testing.T) accounts.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s accounts.Store)
	}{
		{"Accounts", testAccounts},
		{"Credentials", testCredentials},
		{"ConsumeOnce", testConsumeOnce},
		{"Audit", testAudit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func mustAccount(t *testing.T, s accounts.Store, name string, role accounts.Role) accounts.Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), accounts.Account{Username: name, Role: role, PasswordHash: "$argon2id$x"})
	if err != nil {
		t.Fatalf("create account %s: %v", name, err)
	}
	return a
}

func testAccounts(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	a := mustAccount(t, s, "alice", accounts.RolePlanner)
	b := mustAccount(t, s, "bob.d", accounts.RoleDriver)
	if a.ID <= 0 || b.ID <= a.ID || a.CreatedAt.IsZero() || a.RevokedAt != nil {
		t.Fatalf("ids/times: %+v %+v", a, b)
	}
	if _, err := s.CreateAccount(ctx, accounts.Account{Username: "alice", Role: accounts.RoleViewer}); !errors.Is(err, accounts.ErrConflict) {
		t.Fatalf("duplicate username: %v", err)
	}
	for _, bad := range []accounts.Account{{Username: "Alice", Role: accounts.RoleViewer}, {Username: "x", Role: accounts.RoleViewer},
		{Username: "carol", Role: "root"}, {Username: "a b", Role: accounts.RoleViewer}} {
		var ve *accounts.ValidationError
		if _, err := s.CreateAccount(ctx, bad); !errors.As(err, &ve) {
			t.Errorf("create %+v: want ValidationError, got %v", bad, err)
		}
	}
	got, err := s.GetAccount(ctx, a.ID)
	if err != nil || got.Username != "alice" || got.Role != accounts.RolePlanner || got.PasswordHash != "$argon2id$x" || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("get: %+v %v", got, err)
	}
	if got, err := s.GetAccountByUsername(ctx, "bob.d"); err != nil || got.ID != b.ID {
		t.Fatalf("by username: %+v %v", got, err)
	}
	if _, err := s.GetAccountByUsername(ctx, "nobody"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown username: %v", err)
	}
	if _, err := s.GetAccount(ctx, 999); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	rev := T0.Add(time.Hour)
	up := got
	up.Username = "mallory" // ignored
	up.Role, up.PasswordHash, up.RevokedAt = accounts.RoleDispatcher, "$argon2id$y", &rev
	u, err := s.UpdateAccount(ctx, up)
	if err != nil || u.Username != "alice" || u.Role != accounts.RoleDispatcher || u.PasswordHash != "$argon2id$y" || u.RevokedAt == nil || !u.RevokedAt.Equal(rev) {
		t.Fatalf("update: %+v %v", u, err)
	}
	got, _ = s.GetAccount(ctx, a.ID)
	if got.Role != accounts.RoleDispatcher || got.RevokedAt == nil || !got.RevokedAt.Equal(rev) || !got.CreatedAt.Equal(a.CreatedAt) || got.Active(rev) || !got.Active(rev.Add(-time.Second)) {
		t.Fatalf("after update: %+v", got)
	}
	up.ID = 999
	if _, err := s.UpdateAccount(ctx, up); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	up.ID, up.Role = a.ID, "root"
	var ve *accounts.ValidationError
	if _, err := s.UpdateAccount(ctx, up); !errors.As(err, &ve) {
		t.Fatalf("update to a bad role: %v", err)
	}
	all, err := s.ListAccounts(ctx)
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != b.ID || all[0].Role != accounts.RoleDispatcher {
		t.Fatalf("list: %+v %v", all, err)
	}
}

func testCredentials(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	a := mustAccount(t, s, "alice", accounts.RoleDispatcher)
	b := mustAccount(t, s, "bob", accounts.RoleViewer)
	secret, hash := accounts.NewSecret()
	if len(secret) < 22 || hash != accounts.HashSecret(secret) {
		t.Fatalf("secret %q hash %q", secret, hash)
	}
	exp := T0.Add(30 * 24 * time.Hour)
	c, err := s.CreateCredential(ctx, accounts.Credential{AccountID: a.ID, Kind: accounts.KindToken, Hash: hash, Name: "laptop", ExpiresAt: exp})
	if err != nil || c.ID <= 0 || c.CreatedAt.IsZero() || !c.ExpiresAt.Equal(exp) {
		t.Fatalf("create: %+v %v", c, err)
	}
	if _, err := s.CreateCredential(ctx, accounts.Credential{AccountID: b.ID, Kind: accounts.KindToken, Hash: hash, ExpiresAt: exp}); !errors.Is(err, accounts.ErrConflict) {
		t.Fatalf("duplicate hash: %v", err)
	}
	var ve *accounts.ValidationError
	for _, bad := range []accounts.Credential{{AccountID: a.ID, Kind: "key", Hash: hash}, {AccountID: a.ID, Kind: accounts.KindToken, Hash: "abc"},
		{AccountID: 0, Kind: accounts.KindToken, Hash: accounts.HashSecret("x")}, {AccountID: 999, Kind: accounts.KindToken, Hash: accounts.HashSecret("y")}} {
		if _, err := s.CreateCredential(ctx, bad); !errors.As(err, &ve) {
			t.Errorf("create %+v: want ValidationError, got %v", bad, err)
		}
	}
	_, h2 := accounts.NewSecret()
	c2, err := s.CreateCredential(ctx, accounts.Credential{AccountID: b.ID, Kind: accounts.KindSession, Hash: h2, ExpiresAt: exp})
	if err != nil || c2.ID <= c.ID {
		t.Fatalf("second: %+v %v", c2, err)
	}
	gc, ga, err := s.CredentialByHash(ctx, hash)
	if err != nil || gc.ID != c.ID || gc.Kind != accounts.KindToken || gc.Name != "laptop" || gc.Hash != hash || ga.ID != a.ID || ga.Role != accounts.RoleDispatcher {
		t.Fatalf("by hash: %+v %+v %v", gc, ga, err)
	}
	if !gc.Valid(T0) || gc.Valid(exp) {
		t.Fatalf("validity window: %+v", gc)
	}
	if _, _, err := s.CredentialByHash(ctx, accounts.HashSecret("guess")); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	at := T0.Add(time.Minute)
	if err := s.RevokeCredential(ctx, c.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeCredential(ctx, c.ID, at.Add(time.Hour)); err != nil { // no-op: first revocation stands
		t.Fatal(err)
	}
	if err := s.RevokeCredential(ctx, 999, at); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	gc, _, _ = s.CredentialByHash(ctx, hash)
	if gc.RevokedAt == nil || !gc.RevokedAt.Equal(at) || gc.Valid(at) || !gc.Valid(at.Add(-time.Second)) {
		t.Fatalf("after revoke: %+v", gc)
	}
	ls, err := s.ListCredentials(ctx, a.ID)
	if err != nil || len(ls) != 1 || ls[0].ID != c.ID {
		t.Fatalf("list a: %+v %v", ls, err)
	}
	if ls, _ := s.ListCredentials(ctx, 999); ls == nil || len(ls) != 0 {
		t.Fatalf("list unknown: %#v", ls)
	}
}

func testConsumeOnce(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	a := mustAccount(t, s, "admin", accounts.RoleAdmin)
	secret, hash := accounts.NewSecret()
	if _, err := s.CreateCredential(ctx, accounts.Credential{AccountID: a.ID, Kind: accounts.KindLink, Hash: hash, ExpiresAt: T0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wins := make(chan accounts.Account, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, acc, err := s.ConsumeCredential(ctx, accounts.HashSecret(secret), T0)
			if err == nil {
				if c.RevokedAt == nil {
					t.Errorf("consumed credential not marked revoked: %+v", c)
				}
				wins <- acc
			} else if !errors.Is(err, accounts.ErrNotFound) {
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	n := 0
	for acc := range wins {
		n++
		if acc.ID != a.ID {
			t.Errorf("consume returned account %+v", acc)
		}
	}
	if n != 1 {
		t.Fatalf("a one-time link was consumed %d times", n)
	}
}

func testAudit(t *testing.T, s accounts.Store) {
	ctx := context.Background()
	if es, err := s.ListAudit(ctx, accounts.AuditFilter{}); err != nil || es == nil || len(es) != 0 {
		t.Fatalf("empty: %#v %v", es, err)
	}
	in := []accounts.AuditEntry{
		{At: T0, Actor: "alice", Role: accounts.RolePlanner, RequestID: "r1", Method: "POST", Route: "/v1/zones", Status: 201, Entity: "zone", EntityID: "1", Summary: `{"kind":"sealed"}`, After: `{"id":1}`},
		{At: T0.Add(time.Minute), Actor: "alice", Role: accounts.RolePlanner, RequestID: "r2", Method: "PUT", Route: "/v1/zones/:id", Status: 200, Entity: "zone", EntityID: "1", Before: `{"id":1}`, After: `{"id":1,"name":"x"}`},
		{At: T0.Add(2 * time.Minute), Actor: "root", Role: accounts.RoleAdmin, RequestID: "r3", Method: "POST", Route: "/v1/accounts", Status: 201, Entity: "account", EntityID: "7"},
	}
	var prev int64
	for _, e := range in {
		got, err := s.AppendAudit(ctx, e)
		if err != nil || got.ID <= prev || !got.At.Equal(e.At) {
			t.Fatalf("append: %+v %v", got, err)
		}
		prev = got.ID
	}
	all, err := s.ListAudit(ctx, accounts.AuditFilter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("list: %+v %v", all, err)
	}
	for i := range in {
		w, g := in[i], all[i]
		w.ID = g.ID
		if !g.At.Equal(w.At) {
			t.Errorf("entry %d at %v, want %v", i, g.At, w.At)
		}
		g.At, w.At = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	check := func(f accounts.AuditFilter, want ...string) {
		t.Helper()
		es, err := s.ListAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.RequestID)
		}
		if len(got) != len(want) {
			t.Fatalf("filter %+v: %v, want %v", f, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("filter %+v: %v, want %v", f, got, want)
			}
		}
	}
	check(accounts.AuditFilter{Entity: "zone"}, "r1", "r2")
	check(accounts.AuditFilter{Entity: "zone", EntityID: "1", Since: T0.Add(time.Second)}, "r2")
	check(accounts.AuditFilter{Entity: "account", EntityID: "1"})
	check(accounts.AuditFilter{Since: T0.Add(time.Minute)}, "r2", "r3")
	check(accounts.AuditFilter{Limit: 1}, "r1")
}

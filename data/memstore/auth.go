package memstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lifeline/accounts"
)

var _ accounts.Store = (*Store)(nil)

// authState is the accounts part of the embedded store. It is kept apart
// from the zones snapshot: accounts and credentials in accounts.json
// (rewritten atomically after each change, mode 0600) and the audit trail in
// audit.jsonl (append-only, one JSON entry per line, fsynced per entry),
// both beside the snapshot file. A store made by New keeps them in memory.
// It is loaded on first use.
type authState struct {
	once    sync.Once
	loadErr error
	mu      sync.Mutex
	file    authFile
	byHash  map[string]int // credential hash -> index in file.Credentials
	audit   []accounts.AuditEntry
	auditF  *os.File
	dir     string
	// what this process last read or wrote, to notice other writers
	accountsStamp fileStamp
	auditSize     int64
}

type authFile struct {
	Version     int                   `json:"version"`
	Accounts    []authAccount         `json:"accounts"` // Accounts[i].ID == i+1
	Credentials []accounts.Credential `json:"-"`
	Creds       []authCredential      `json:"credentials"`
	NextCredID  int64                 `json:"next_credential_id"`
}

// authAccount and authCredential carry the fields that the domain types
// keep out of JSON (hashes).
type authAccount struct {
	accounts.Account
	PasswordHash string `json:"password_hash"`
}

type authCredential struct {
	accounts.Credential
	Hash string `json:"hash"`
}

const authFileVersion = 1

func (s *Store) authLoad() (*authState, error) {
	a := &s.auth
	a.once.Do(func() {
		a.byHash = map[string]int{}
		if s.path == "" {
			return
		}
		a.dir = filepath.Dir(s.path)
		if a.loadErr = a.readAccounts(s.now()); a.loadErr != nil {
			return
		}
		if a.loadErr = a.readAudit(); a.loadErr != nil {
			return
		}
		f, err := os.OpenFile(filepath.Join(a.dir, "audit.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			a.loadErr = fmt.Errorf("memstore: open audit log: %w", err)
			return
		}
		a.auditF = f
	})
	if a.loadErr != nil {
		return nil, a.loadErr
	}
	return a, nil
}

// readAccounts (re)reads accounts.json; a missing file is an empty one.
// Credentials that expired more than a day ago are dropped, so sessions do
// not pile up in the file.
func (a *authState) readAccounts(now time.Time) error {
	path := filepath.Join(a.dir, "accounts.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var f authFile
	if err == nil {
		if err = json.Unmarshal(data, &f); err == nil && f.Version != authFileVersion {
			err = fmt.Errorf("version %d, want %d", f.Version, authFileVersion)
		}
	}
	if err != nil {
		return fmt.Errorf("memstore: %s: %w", path, err)
	}
	cut := now.Add(-24 * time.Hour)
	byHash := map[string]int{}
	for _, c := range f.Creds {
		if c.ExpiresAt.Before(cut) {
			continue
		}
		c.Credential.Hash = c.Hash
		byHash[c.Hash] = len(f.Credentials)
		f.Credentials = append(f.Credentials, c.Credential)
	}
	for i := range f.Accounts {
		f.Accounts[i].Account.PasswordHash = f.Accounts[i].PasswordHash
	}
	a.file, a.byHash = f, byHash
	a.accountsStamp = stamp(path)
	return nil
}

// readAudit (re)reads audit.jsonl (a torn last line from a crash is skipped).
func (a *authState) readAudit() error {
	path := filepath.Join(a.dir, "audit.jsonl")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("memstore: read audit log: %w", err)
	}
	var es []accounts.AuditEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e accounts.AuditEntry
		if len(bytes.TrimSpace(sc.Bytes())) == 0 || json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		es = append(es, e)
	}
	a.audit = es
	a.auditSize = int64(len(data))
	return nil
}

// fileStamp identifies a version of a file (another process, such as
// `lifeline user add`, may change it while the server runs).
type fileStamp struct {
	mod  time.Time
	size int64
}

func stamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// refresh rereads accounts.json when another process changed it (the
// caller holds a.mu).
func (a *authState) refresh(now time.Time) error {
	if a.dir == "" {
		return nil
	}
	if stamp(filepath.Join(a.dir, "accounts.json")) != a.accountsStamp {
		return a.readAccounts(now)
	}
	return nil
}

// refreshAudit rereads audit.jsonl when it grew by other hands.
func (a *authState) refreshAudit() error {
	if a.dir == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Join(a.dir, "audit.jsonl")); err == nil && fi.Size() != a.auditSize {
		return a.readAudit()
	}
	return nil
}

// lockAuth loads the state and locks it; the caller unlocks a.mu.
func (s *Store) lockAuth(ctx context.Context) (*authState, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	a, err := s.authLoad()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if err := a.refresh(s.now()); err != nil {
		a.mu.Unlock()
		return nil, err
	}
	return a, nil
}

// saveAuth rewrites accounts.json atomically (the caller holds a.mu).
func (a *authState) save() error {
	if a.dir == "" {
		return nil
	}
	a.file.Version = authFileVersion
	a.file.Creds = a.file.Creds[:0]
	for _, c := range a.file.Credentials {
		a.file.Creds = append(a.file.Creds, authCredential{Credential: c, Hash: c.Hash})
	}
	for i := range a.file.Accounts {
		a.file.Accounts[i].PasswordHash = a.file.Accounts[i].Account.PasswordHash
	}
	data, err := json.Marshal(&a.file)
	if err != nil {
		return err
	}
	path := filepath.Join(a.dir, "accounts.json")
	if err := writeAuthFile(path, data, 0o600); err != nil {
		return err
	}
	a.accountsStamp = stamp(path)
	return nil
}

func writeAuthFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func (s *Store) authNow() time.Time { return accounts.Micro(s.now()) }

// CreateAccount implements accounts.Store.
func (s *Store) CreateAccount(ctx context.Context, acc accounts.Account) (accounts.Account, error) {
	if err := acc.Validate(); err != nil {
		return accounts.Account{}, err
	}
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Account{}, err
	}
	defer a.mu.Unlock()
	for _, x := range a.file.Accounts {
		if x.Username == acc.Username {
			return accounts.Account{}, fmt.Errorf("%w: username %q", accounts.ErrConflict, acc.Username)
		}
	}
	now := s.authNow()
	acc.ID = int64(len(a.file.Accounts) + 1)
	acc.CreatedAt, acc.UpdatedAt = now, now
	acc.RevokedAt = microPtr(acc.RevokedAt)
	a.file.Accounts = append(a.file.Accounts, authAccount{Account: acc})
	if err := a.save(); err != nil {
		a.file.Accounts = a.file.Accounts[:len(a.file.Accounts)-1]
		return accounts.Account{}, err
	}
	return acc, nil
}

func microPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := accounts.Micro(*t)
	return &v
}

// GetAccount implements accounts.Store.
func (s *Store) GetAccount(ctx context.Context, id int64) (accounts.Account, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Account{}, err
	}
	defer a.mu.Unlock()
	if id <= 0 || id > int64(len(a.file.Accounts)) {
		return accounts.Account{}, fmt.Errorf("%w: account %d", accounts.ErrNotFound, id)
	}
	return a.file.Accounts[id-1].Account, nil
}

// GetAccountByUsername implements accounts.Store.
func (s *Store) GetAccountByUsername(ctx context.Context, username string) (accounts.Account, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Account{}, err
	}
	defer a.mu.Unlock()
	for _, x := range a.file.Accounts {
		if x.Username == username {
			return x.Account, nil
		}
	}
	return accounts.Account{}, fmt.Errorf("%w: account %q", accounts.ErrNotFound, username)
}

// ListAccounts implements accounts.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]accounts.Account, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return nil, err
	}
	defer a.mu.Unlock()
	out := make([]accounts.Account, 0, len(a.file.Accounts))
	for _, x := range a.file.Accounts {
		out = append(out, x.Account)
	}
	return out, nil
}

// UpdateAccount implements accounts.Store.
func (s *Store) UpdateAccount(ctx context.Context, acc accounts.Account) (accounts.Account, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Account{}, err
	}
	defer a.mu.Unlock()
	if acc.ID <= 0 || acc.ID > int64(len(a.file.Accounts)) {
		return accounts.Account{}, fmt.Errorf("%w: account %d", accounts.ErrNotFound, acc.ID)
	}
	old := a.file.Accounts[acc.ID-1]
	acc.Username = old.Username
	if err := acc.Validate(); err != nil {
		return accounts.Account{}, err
	}
	acc.CreatedAt = old.CreatedAt
	acc.UpdatedAt = s.authNow()
	acc.RevokedAt = microPtr(acc.RevokedAt)
	a.file.Accounts[acc.ID-1] = authAccount{Account: acc}
	if err := a.save(); err != nil {
		a.file.Accounts[acc.ID-1] = old
		return accounts.Account{}, err
	}
	return acc, nil
}

// CreateCredential implements accounts.Store.
func (s *Store) CreateCredential(ctx context.Context, c accounts.Credential) (accounts.Credential, error) {
	if err := c.Validate(); err != nil {
		return accounts.Credential{}, err
	}
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Credential{}, err
	}
	defer a.mu.Unlock()
	if c.AccountID > int64(len(a.file.Accounts)) {
		return accounts.Credential{}, &accounts.ValidationError{Path: "account_id", Message: fmt.Sprintf("no account %d", c.AccountID)}
	}
	if _, dup := a.byHash[c.Hash]; dup {
		return accounts.Credential{}, fmt.Errorf("%w: credential hash", accounts.ErrConflict)
	}
	// ids are never reused, even those of dropped credentials
	c.ID = max(a.file.NextCredID, 1)
	a.file.NextCredID = c.ID + 1
	c.CreatedAt = s.authNow()
	c.ExpiresAt = accounts.Micro(c.ExpiresAt)
	c.RevokedAt = microPtr(c.RevokedAt)
	a.file.Credentials = append(a.file.Credentials, c)
	a.byHash[c.Hash] = len(a.file.Credentials) - 1
	if err := a.save(); err != nil {
		a.file.Credentials = a.file.Credentials[:len(a.file.Credentials)-1]
		a.file.NextCredID = c.ID
		delete(a.byHash, c.Hash)
		return accounts.Credential{}, err
	}
	return c, nil
}

// CredentialByHash implements accounts.Store.
func (s *Store) CredentialByHash(ctx context.Context, hash string) (accounts.Credential, accounts.Account, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Credential{}, accounts.Account{}, err
	}
	defer a.mu.Unlock()
	i, ok := a.byHash[hash]
	if !ok {
		return accounts.Credential{}, accounts.Account{}, fmt.Errorf("%w: credential", accounts.ErrNotFound)
	}
	c := a.file.Credentials[i]
	return c, a.file.Accounts[c.AccountID-1].Account, nil
}

// ListCredentials implements accounts.Store.
func (s *Store) ListCredentials(ctx context.Context, accountID int64) ([]accounts.Credential, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return nil, err
	}
	defer a.mu.Unlock()
	out := []accounts.Credential{}
	for _, c := range a.file.Credentials {
		if c.AccountID == accountID {
			out = append(out, c)
		}
	}
	return out, nil
}

// RevokeCredential implements accounts.Store.
func (s *Store) RevokeCredential(ctx context.Context, id int64, at time.Time) error {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return err
	}
	defer a.mu.Unlock()
	for i := range a.file.Credentials {
		c := &a.file.Credentials[i]
		if c.ID != id {
			continue
		}
		if c.RevokedAt != nil {
			return nil
		}
		t := accounts.Micro(at)
		c.RevokedAt = &t
		if err := a.save(); err != nil {
			c.RevokedAt = nil
			return err
		}
		return nil
	}
	return fmt.Errorf("%w: credential %d", accounts.ErrNotFound, id)
}

// ConsumeCredential implements accounts.Store.
func (s *Store) ConsumeCredential(ctx context.Context, hash string, at time.Time) (accounts.Credential, accounts.Account, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.Credential{}, accounts.Account{}, err
	}
	defer a.mu.Unlock()
	i, ok := a.byHash[hash]
	if !ok || a.file.Credentials[i].RevokedAt != nil {
		return accounts.Credential{}, accounts.Account{}, fmt.Errorf("%w: credential", accounts.ErrNotFound)
	}
	c := &a.file.Credentials[i]
	t := accounts.Micro(at)
	c.RevokedAt = &t
	if err := a.save(); err != nil {
		c.RevokedAt = nil
		return accounts.Credential{}, accounts.Account{}, err
	}
	return *c, a.file.Accounts[c.AccountID-1].Account, nil
}

// AppendAudit implements accounts.Store: the entry is written to
// audit.jsonl and fsynced before it is acknowledged.
func (s *Store) AppendAudit(ctx context.Context, e accounts.AuditEntry) (accounts.AuditEntry, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return accounts.AuditEntry{}, err
	}
	defer a.mu.Unlock()
	if err := a.refreshAudit(); err != nil {
		return accounts.AuditEntry{}, err
	}
	e.ID = int64(len(a.audit) + 1)
	if n := len(a.audit); n > 0 {
		e.ID = a.audit[n-1].ID + 1
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = accounts.Micro(e.At)
	if a.auditF != nil {
		line, err := json.Marshal(e)
		if err != nil {
			return accounts.AuditEntry{}, err
		}
		if _, err := a.auditF.Write(append(line, '\n')); err != nil {
			return accounts.AuditEntry{}, fmt.Errorf("memstore: audit log: %w", err)
		}
		if err := a.auditF.Sync(); err != nil {
			return accounts.AuditEntry{}, fmt.Errorf("memstore: audit log: %w", err)
		}
		a.auditSize += int64(len(line) + 1)
	}
	a.audit = append(a.audit, e)
	return e, nil
}

// ListAudit implements accounts.Store.
func (s *Store) ListAudit(ctx context.Context, f accounts.AuditFilter) ([]accounts.AuditEntry, error) {
	a, err := s.lockAuth(ctx)
	if err != nil {
		return nil, err
	}
	defer a.mu.Unlock()
	if err := a.refreshAudit(); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	out := []accounts.AuditEntry{}
	for _, e := range a.audit {
		if (f.Entity == "" || e.Entity == f.Entity) && (f.EntityID == "" || e.EntityID == f.EntityID) &&
			(f.Since.IsZero() || !e.At.Before(f.Since)) {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// closeAuth closes the audit log file (called from Close).
func (s *Store) closeAuth() {
	a := &s.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.auditF != nil {
		a.auditF.Close()
		a.auditF = nil
	}
}

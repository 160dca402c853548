// Package auth is the HTTP side of lifeline's accounts: authentication
// (bearer tokens for API clients, session cookies for browsers, one-time
// sign-in links), authorisation by the one table in policy.go, the
// cross-site and browser hardening (Origin / Sec-Fetch-Site check, CORS
// allow-list, security headers), rate limits (token buckets) and the audit
// trail written by one middleware for every write route.
//
// api.New installs it when api.Deps.Auth is set (cmd/lifeline serve always
// sets it). Errors are JSON {"code","message","details"} like the rest of
// the API.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
)

// Config of the auth layer. Zero values take the defaults written beside.
type Config struct {
	Store  accounts.Store
	Logger *slog.Logger
	Now    func() time.Time // time.Now
	// SessionTTL is how long a browser session lasts (12h).
	SessionTTL time.Duration
	// CORSOrigins may call the API from another origin (exact
	// "scheme://host[:port]" strings); empty allows none.
	CORSOrigins []string
	// Expensive routes (optimise, site plans, matrices, isochrones):
	// per account and per client address, requests per minute and burst.
	// A negative rate turns the limit off.
	ExpensivePerMin, ExpensiveBurst     float64 // 30, 10
	ExpensiveIPPerMin, ExpensiveIPBurst float64 // 60, 20
	// Failed look-ups (route-list codes, share tokens, sign-ins) per client
	// address: per minute and burst.
	GuessPerMin, GuessBurst float64 // 10, 10
	// CacheTTL is how long a verified credential is trusted without asking
	// the store again (5s); revocations through the API take effect at once,
	// those from another process (lifeline user revoke) within CacheTTL.
	CacheTTL time.Duration
	// Before loads the current state of an entity for the audit trail
	// (entity kind -> loader by id); missing kinds record no "before".
	Before map[string]func(ctx context.Context, id string) (any, error)
}

// Auth is the installed auth layer. Safe for concurrent use.
type Auth struct {
	cfg       Config
	store     accounts.Store
	log       *slog.Logger
	now       func() time.Time
	cors      map[string]bool
	cache     credCache
	expensive *Limiter // keyed "acct:<username>"
	expIP     *Limiter // keyed "ip:<address>"
	guess     *Limiter // keyed "<what>:<address>"
}

// New returns the auth layer for cfg (cfg.Store is required).
func New(cfg Config) *Auth {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.ExpensivePerMin, 30)
	def(&cfg.ExpensiveBurst, 10)
	def(&cfg.ExpensiveIPPerMin, 60)
	def(&cfg.ExpensiveIPBurst, 20)
	def(&cfg.GuessPerMin, 10)
	def(&cfg.GuessBurst, 10)
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	a := &Auth{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Now, cors: map[string]bool{}}
	for _, o := range cfg.CORSOrigins {
		a.cors[strings.TrimRight(o, "/")] = true
	}
	a.cache.m = map[string]cacheEntry{}
	a.expensive = NewLimiter(cfg.ExpensivePerMin/60, cfg.ExpensiveBurst, cfg.Now)
	a.expIP = NewLimiter(cfg.ExpensiveIPPerMin/60, cfg.ExpensiveIPBurst, cfg.Now)
	a.guess = NewLimiter(cfg.GuessPerMin/60, cfg.GuessBurst, cfg.Now)
	return a
}

// Store returns the accounts store.
func (a *Auth) Store() accounts.Store { return a.store }

// Identity is who is calling.
type Identity struct {
	AccountID int64
	Username  string
	Role      accounts.Role
	Kind      accounts.Kind // token or session
	CredID    int64
}

const ctxIdentity = "auth.identity"

// IdentityOf returns the caller of an authenticated request, or nil (no
// auth layer, or a public route).
func IdentityOf(c *gin.Context) *Identity {
	if v, ok := c.Get(ctxIdentity); ok {
		return v.(*Identity)
	}
	return nil
}

// RoleOf is the caller's role; without an auth layer (tests that build
// api.New without it) every caller counts as admin.
func RoleOf(c *gin.Context) accounts.Role {
	if id := IdentityOf(c); id != nil {
		return id.Role
	}
	if _, public := c.Get(ctxPublic); public {
		return ""
	}
	return accounts.RoleAdmin
}

// ctxPublic marks a request on a public route of an installed auth layer
// (every other request that reaches a handler carries an identity).
const ctxPublic = "auth.public"

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "lifeline_session"

// Error is the JSON error body (same shape as the api package's).
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"` // always an object
}

func abort(c *gin.Context, status int, code, msg string, details map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	c.AbortWithStatusJSON(status, &Error{Code: code, Message: msg, Details: details})
}

// Install adds the auth layer's middleware to r. Call it before any route
// is registered (gin binds middleware at registration).
func (a *Auth) Install(r *gin.Engine) {
	r.Use(a.headers, a.crossSite, a.authenticate, a.audit)
}

// authenticate finds the caller and applies the table: 401 without valid
// credentials, 403 for a role the table does not list, 429 for expensive
// routes over the limit.
func (a *Auth) authenticate(c *gin.Context) {
	pattern := c.FullPath()
	if pattern == "" {
		// no such route: the API answers 404/405 without touching any data
		c.Next()
		return
	}
	if !strings.HasPrefix(pattern, "/v1/") {
		c.Next() // /healthz, /readyz
		return
	}
	rule := RuleFor(c.Request.Method, pattern)
	if rule == nil {
		a.log.Error("route missing from the authorisation table (api/auth/policy.go); refusing it", "method", c.Request.Method, "route", pattern)
		abort(c, http.StatusForbidden, "no_policy", "this route is not in the authorisation table", map[string]any{"route": c.Request.Method + " " + pattern})
		return
	}
	if rule.Public {
		c.Set(ctxPublic, true)
		c.Next()
		return
	}
	id, err := a.identify(c)
	if err != nil {
		if errors.Is(err, errNoCredentials) || errors.Is(err, errBadCredentials) {
			c.Header("WWW-Authenticate", `Bearer realm="lifeline"`)
			msg := "sign in first: send Authorization: Bearer <token> or sign in at /signin.html"
			code := "unauthenticated"
			if errors.Is(err, errBadCredentials) {
				msg, code = "the token or session is unknown, expired or revoked: sign in again", "invalid_credentials"
			}
			abort(c, http.StatusUnauthorized, code, msg, nil)
			return
		}
		a.log.Error("auth: credential look-up failed", "err", err)
		abort(c, http.StatusServiceUnavailable, "auth_unavailable", "cannot check credentials right now", nil)
		return
	}
	c.Set(ctxIdentity, id)
	if !rule.Allows(id.Role) {
		abort(c, http.StatusForbidden, "forbidden", "the "+string(id.Role)+" role may not "+c.Request.Method+" "+pattern,
			map[string]any{"role": string(id.Role), "route": c.Request.Method + " " + pattern})
		return
	}
	if rule.Expensive {
		if ok, wait := a.expensive.Allow("acct:" + id.Username); !ok {
			tooMany(c, wait, "account")
			return
		}
		if ok, wait := a.expIP.Allow("ip:" + ClientAddr(c)); !ok {
			tooMany(c, wait, "client address")
			return
		}
	}
	c.Next()
}

func tooMany(c *gin.Context, wait time.Duration, per string) {
	secs := int(wait/time.Second) + 1
	c.Header("Retry-After", itoa(secs))
	abort(c, http.StatusTooManyRequests, "rate_limited", "too many requests for this "+per+": retry in "+itoa(secs)+" s",
		map[string]any{"retry_after_s": secs})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// ClientAddr is the client's IP address from the connection (proxy headers
// are not trusted: they are the client's to forge).
func ClientAddr(c *gin.Context) string {
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return c.Request.RemoteAddr
	}
	return host
}

var (
	errNoCredentials  = errors.New("auth: no credentials")
	errBadCredentials = errors.New("auth: bad credentials")
)

// identify checks the bearer token or the session cookie.
func (a *Auth) identify(c *gin.Context) (*Identity, error) {
	kind := accounts.KindToken
	secret := ""
	if h := header(c, "Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return nil, errBadCredentials
		}
		secret = strings.TrimSpace(tok)
	} else if v := sessionCookie(c.Request.Header["Cookie"]); v != "" {
		kind, secret = accounts.KindSession, v
	} else {
		return nil, errNoCredentials
	}
	if len(secret) > 200 {
		return nil, errBadCredentials
	}
	return a.check(c.Request.Context(), secret, kind)
}

// sessionCookie finds the session cookie's value in Cookie headers without
// allocating (net/http's parser builds every cookie of the header).
func sessionCookie(hs []string) string {
	const prefix = SessionCookie + "="
	for _, h := range hs {
		for h != "" {
			var part string
			part, h, _ = strings.Cut(h, ";")
			part = strings.TrimSpace(part)
			if strings.HasPrefix(part, prefix) {
				return strings.Trim(part[len(prefix):], `"`)
			}
		}
	}
	return ""
}

// check verifies a credential secret, through the cache (keyed by the
// secret itself, in memory only, so a hit costs no hashing).
func (a *Auth) check(ctx context.Context, secret string, kind accounts.Kind) (*Identity, error) {
	now := a.now()
	if id, ok := a.cache.get(secret, now); ok {
		if id == nil || id.Kind != kind {
			return nil, errBadCredentials
		}
		return id, nil
	}
	cred, acc, err := a.store.CredentialByHash(ctx, accounts.HashSecret(secret))
	if errors.Is(err, accounts.ErrNotFound) {
		a.cache.put(secret, nil, now.Add(a.cfg.CacheTTL))
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !cred.Valid(now) || !acc.Active(now) || cred.Kind != kind {
		a.cache.put(secret, nil, now.Add(a.cfg.CacheTTL))
		return nil, errBadCredentials
	}
	id := &Identity{AccountID: acc.ID, Username: acc.Username, Role: acc.Role, Kind: cred.Kind, CredID: cred.ID}
	until := now.Add(a.cfg.CacheTTL)
	if cred.ExpiresAt.Before(until) {
		until = cred.ExpiresAt
	}
	a.cache.put(secret, id, until)
	return id, nil
}

// credCache remembers verified (and refused) credential hashes briefly so
// the hot paths do not ask the store on every request.
type credCache struct {
	mu sync.RWMutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	id    *Identity
	until time.Time
}

func (cc *credCache) get(hash string, now time.Time) (*Identity, bool) {
	cc.mu.RLock()
	e, ok := cc.m[hash]
	cc.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.id, true
}

func (cc *credCache) put(hash string, id *Identity, until time.Time) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.m) >= 10000 {
		clear(cc.m) // a flood of random tokens: start over rather than grow
	}
	cc.m[hash] = cacheEntry{id: id, until: until}
}

// forget drops every cached credential (after a revocation or an account
// change), so the change applies to the next request.
func (cc *credCache) forget() {
	cc.mu.Lock()
	clear(cc.m)
	cc.mu.Unlock()
}

// Guess limits failed look-ups per client address (route-list codes, share
// tokens): Blocked says whether the client must wait (and writes the 429),
// Failed counts one failure.
func (a *Auth) GuessBlocked(c *gin.Context, what string) bool {
	if ok, wait := a.guess.Peek(what + ":" + ClientAddr(c)); !ok {
		tooMany(c, wait, "client address (failed look-ups)")
		return true
	}
	return false
}

// GuessFailed records one failed look-up by the client.
func (a *Auth) GuessFailed(c *gin.Context, what string) { a.guess.Allow(what + ":" + ClientAddr(c)) }

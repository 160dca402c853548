package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
)

// Routes registers the auth API under v1: sign-in (POST /auth/login,
// POST /auth/logout, GET /auth/me) and the admin's account management
// (/accounts, /accounts/:id, tokens, one-time links) and GET /audit.
func (a *Auth) Routes(v1 gin.IRouter) {
	v1.POST("/auth/login", a.login)
	v1.POST("/auth/logout", a.logout)
	v1.GET("/auth/me", a.me)
	v1.GET("/accounts", a.listAccounts)
	v1.POST("/accounts", a.createAccount)
	v1.PUT("/accounts/:id", a.updateAccount)
	v1.DELETE("/accounts/:id", a.revokeAccount)
	v1.GET("/accounts/:id/tokens", a.listTokens)
	v1.POST("/accounts/:id/tokens", a.createToken)
	v1.DELETE("/accounts/:id/tokens/:token", a.revokeToken)
	v1.POST("/accounts/:id/link", a.createLink)
	v1.GET("/audit", a.listAudit)
}

const maxAuthBody = 16 << 10

// decode reads a small JSON body strictly into v; false after writing a 400.
func decode(c *gin.Context, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxAuthBody))
	if err != nil {
		abort(c, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body exceeds %d bytes", maxAuthBody), map[string]any{"limit_bytes": maxAuthBody})
		return false
	}
	if err := DecodeStrict(body, v); err != nil {
		var ve *accounts.ValidationError
		if errors.As(err, &ve) {
			abort(c, http.StatusBadRequest, "malformed_json", ve.Message, map[string]any{"path": ve.Path})
		} else {
			abort(c, http.StatusBadRequest, "malformed_json", err.Error(), map[string]any{})
		}
		return false
	}
	return true
}

// DecodeStrict decodes one JSON object into v: unknown fields, trailing
// data and wrong types are *accounts.ValidationError naming the field.
func DecodeStrict(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return &accounts.ValidationError{Path: "body", Message: "request body is empty"}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			path := te.Field
			if path == "" {
				path = "body"
			}
			return &accounts.ValidationError{Path: path, Message: fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			path := f
			if path == "" {
				path = "body"
			}
			return &accounts.ValidationError{Path: path, Message: fmt.Sprintf("unknown field %q", f)}
		}
		return &accounts.ValidationError{Path: "body", Message: "malformed JSON: " + err.Error()}
	}
	if dec.More() {
		return &accounts.ValidationError{Path: "body", Message: "unexpected data after the JSON value"}
	}
	return nil
}

func (a *Auth) storeFail(c *gin.Context, err error) {
	var ve *accounts.ValidationError
	switch {
	case errors.As(err, &ve):
		abort(c, http.StatusUnprocessableEntity, "validation_failed", ve.Error(), map[string]any{"path": ve.Path, "reason": ve.Message})
	case errors.Is(err, accounts.ErrNotFound):
		abort(c, http.StatusNotFound, "not_found", err.Error(), map[string]any{"path": "id"})
	case errors.Is(err, accounts.ErrConflict):
		abort(c, http.StatusConflict, "conflict", err.Error(), map[string]any{"path": "username"})
	default:
		a.log.Error("auth: store failed", "err", err, "request_id", c.GetString("request_id"))
		abort(c, http.StatusInternalServerError, "internal", "internal error", map[string]any{"request_id": c.GetString("request_id")})
	}
}

// LoginRequest is the body of POST /v1/auth/login: a username and password,
// or the secret of a one-time sign-in link.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Link     string `json:"link"`
}

// MeResponse is the answer of GET /v1/auth/me and POST /v1/auth/login.
type MeResponse struct {
	accounts.Account
	SessionExpiresAt *time.Time `json:"session_expires_at,omitempty"`
	SeesPersonalData bool       `json:"sees_personal_data"`
}

// dummyHash makes a sign-in with an unknown username cost as much as one
// with a wrong password.
var dummyHash = accounts.HashPassword("lifeline-dummy-password")

func (a *Auth) login(c *gin.Context) {
	if a.GuessBlocked(c, "login") {
		return
	}
	var req LoginRequest
	if !decode(c, &req) {
		return
	}
	ctx := c.Request.Context()
	now := a.now()
	var acc accounts.Account
	switch {
	case req.Link != "":
		if req.Username != "" || req.Password != "" {
			abort(c, http.StatusBadRequest, "bad_request", "send either a link or a username and password", map[string]any{"path": "link"})
			return
		}
		cred, ac, err := a.store.ConsumeCredential(ctx, accounts.HashSecret(req.Link), now)
		if err != nil || cred.Kind != accounts.KindLink || !cred.ExpiresAt.After(now) || !ac.Active(now) {
			if err != nil && !errors.Is(err, accounts.ErrNotFound) {
				a.storeFail(c, err)
				return
			}
			a.GuessFailed(c, "login")
			abort(c, http.StatusUnauthorized, "invalid_credentials", "this sign-in link is unknown, used or expired: ask an admin for a new one", map[string]any{"path": "link"})
			return
		}
		acc = ac
	default:
		if req.Username == "" || req.Password == "" {
			abort(c, http.StatusBadRequest, "bad_request", "username and password are required", map[string]any{"path": "username"})
			return
		}
		if a.GuessBlocked(c, "login-user:"+req.Username) {
			return
		}
		ac, err := a.store.GetAccountByUsername(ctx, req.Username)
		if err != nil && !errors.Is(err, accounts.ErrNotFound) {
			a.storeFail(c, err)
			return
		}
		hash := ac.PasswordHash
		if err != nil || hash == "" {
			hash = dummyHash
		}
		ok, herr := accounts.CheckPassword(hash, req.Password)
		if err != nil || ac.PasswordHash == "" || herr != nil || !ok || !ac.Active(now) {
			a.GuessFailed(c, "login")
			a.GuessFailed(c, "login-user:"+req.Username)
			abort(c, http.StatusUnauthorized, "invalid_credentials", "wrong username or password", map[string]any{"path": "password"})
			return
		}
		acc = ac
	}
	secret, cred, err := accounts.Issue(ctx, a.store, acc.ID, accounts.KindSession, "browser", a.cfg.SessionTTL, now)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", MaxAge: int(a.cfg.SessionTTL / time.Second),
		HttpOnly: true, Secure: c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https", SameSite: http.SameSiteStrictMode})
	c.Set(ctxIdentity, &Identity{AccountID: acc.ID, Username: acc.Username, Role: acc.Role, Kind: accounts.KindSession, CredID: cred.ID})
	a.log.Info("signed in", "username", acc.Username, "role", acc.Role)
	c.JSON(http.StatusOK, MeResponse{Account: acc, SessionExpiresAt: &cred.ExpiresAt, SeesPersonalData: acc.Role.SeesPersonalData()})
}

func (a *Auth) logout(c *gin.Context) {
	id := IdentityOf(c)
	if id.Kind == accounts.KindSession {
		if err := a.store.RevokeCredential(c.Request.Context(), id.CredID, a.now()); err != nil {
			a.storeFail(c, err)
			return
		}
		a.cache.forget()
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.JSON(http.StatusOK, gin.H{"signed_out": true})
}

func (a *Auth) me(c *gin.Context) {
	id := IdentityOf(c)
	acc, err := a.store.GetAccount(c.Request.Context(), id.AccountID)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusOK, MeResponse{Account: acc, SeesPersonalData: acc.Role.SeesPersonalData()})
}

func (a *Auth) listAccounts(c *gin.Context) {
	all, err := a.store.ListAccounts(c.Request.Context())
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"accounts": all})
}

// AccountRequest is the body of POST /v1/accounts and PUT /v1/accounts/:id.
type AccountRequest struct {
	Username string        `json:"username"`
	Role     accounts.Role `json:"role"`
	Password *string       `json:"password"`
}

func (a *Auth) createAccount(c *gin.Context) {
	var req AccountRequest
	if !decode(c, &req) {
		return
	}
	acc := accounts.Account{Username: req.Username, Role: req.Role}
	if err := acc.Validate(); err != nil {
		a.storeFail(c, err)
		return
	}
	if req.Password != nil {
		if err := accounts.CheckPasswordPolicy(*req.Password); err != nil {
			a.storeFail(c, err)
			return
		}
		acc.PasswordHash = accounts.HashPassword(*req.Password)
	}
	acc, err := a.store.CreateAccount(c.Request.Context(), acc)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, acc)
}

func (a *Auth) accountParam(c *gin.Context) (accounts.Account, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		abort(c, http.StatusBadRequest, "bad_parameter", "account id must be a positive integer", map[string]any{"path": "id"})
		return accounts.Account{}, false
	}
	acc, err := a.store.GetAccount(c.Request.Context(), id)
	if err != nil {
		a.storeFail(c, err)
		return acc, false
	}
	return acc, true
}

func (a *Auth) updateAccount(c *gin.Context) {
	acc, ok := a.accountParam(c)
	if !ok {
		return
	}
	var req AccountRequest
	if !decode(c, &req) {
		return
	}
	if req.Username != "" && req.Username != acc.Username {
		abort(c, http.StatusUnprocessableEntity, "validation_failed", "usernames cannot be changed", map[string]any{"path": "username"})
		return
	}
	if req.Role != "" {
		acc.Role = req.Role
	}
	if req.Password != nil {
		if err := accounts.CheckPasswordPolicy(*req.Password); err != nil {
			a.storeFail(c, err)
			return
		}
		acc.PasswordHash = accounts.HashPassword(*req.Password)
	}
	acc, err := a.store.UpdateAccount(c.Request.Context(), acc)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	a.cache.forget() // a role change applies to the next request
	c.JSON(http.StatusOK, acc)
}

func (a *Auth) revokeAccount(c *gin.Context) {
	acc, ok := a.accountParam(c)
	if !ok {
		return
	}
	acc, err := accounts.Revoke(c.Request.Context(), a.store, acc, a.now())
	a.cache.forget()
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusOK, acc)
}

func (a *Auth) listTokens(c *gin.Context) {
	acc, ok := a.accountParam(c)
	if !ok {
		return
	}
	cs, err := a.store.ListCredentials(c.Request.Context(), acc.ID)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"credentials": cs})
}

// TokenRequest is the body of POST /v1/accounts/:id/tokens.
type TokenRequest struct {
	Name string `json:"name"`
	TTL  string `json:"ttl"` // Go duration, default 720h (30 days), at most 8760h
}

// SecretResponse is a new token or sign-in link: the secret is shown once.
type SecretResponse struct {
	accounts.Credential
	Secret string `json:"token"`
	URL    string `json:"url,omitempty"`
}

func (a *Auth) createToken(c *gin.Context) {
	acc, ok := a.accountParam(c)
	if !ok {
		return
	}
	var req TokenRequest
	if !decode(c, &req) {
		return
	}
	ttl := 30 * 24 * time.Hour
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > 365*24*time.Hour {
			abort(c, http.StatusUnprocessableEntity, "validation_failed", fmt.Sprintf("ttl %q must be a duration in (0, 8760h]", req.TTL), map[string]any{"path": "ttl"})
			return
		}
		ttl = d
	}
	if !acc.Active(a.now()) {
		abort(c, http.StatusConflict, "conflict", "the account is revoked", map[string]any{"path": "id"})
		return
	}
	secret, cred, err := accounts.Issue(c.Request.Context(), a.store, acc.ID, accounts.KindToken, req.Name, ttl, a.now())
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, SecretResponse{Credential: cred, Secret: secret})
}

func (a *Auth) revokeToken(c *gin.Context) {
	acc, ok := a.accountParam(c)
	if !ok {
		return
	}
	tid, err := strconv.ParseInt(c.Param("token"), 10, 64)
	if err != nil {
		abort(c, http.StatusBadRequest, "bad_parameter", "token id must be an integer", map[string]any{"path": "token"})
		return
	}
	cs, err := a.store.ListCredentials(c.Request.Context(), acc.ID)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	for _, cr := range cs {
		if cr.ID == tid {
			if err := a.store.RevokeCredential(c.Request.Context(), tid, a.now()); err != nil {
				a.storeFail(c, err)
				return
			}
			a.cache.forget()
			c.JSON(http.StatusOK, gin.H{"id": tid, "revoked": true})
			return
		}
	}
	abort(c, http.StatusNotFound, "not_found", fmt.Sprintf("account %d has no credential %d", acc.ID, tid), map[string]any{"path": "token"})
}

func (a *Auth) createLink(c *gin.Context) {
	acc, ok := a.accountParam(c)
	if !ok {
		return
	}
	secret, cred, err := accounts.Issue(c.Request.Context(), a.store, acc.ID, accounts.KindLink, "sign-in link", 24*time.Hour, a.now())
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, SecretResponse{Credential: cred, Secret: secret, URL: "/signin.html#link=" + secret})
}

func (a *Auth) listAudit(c *gin.Context) {
	f := accounts.AuditFilter{Limit: 1000}
	if e := c.Query("entity"); e != "" {
		f.Entity, f.EntityID, _ = strings.Cut(e, ":")
	}
	if s := c.Query("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			abort(c, http.StatusBadRequest, "bad_parameter", fmt.Sprintf("query.since: %q must be an RFC 3339 time such as 2026-12-01T08:00:00Z", s), map[string]any{"path": "query.since"})
			return
		}
		f.Since = t
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 10000 {
			abort(c, http.StatusBadRequest, "bad_parameter", "query.limit must be an integer in [1, 10000]", map[string]any{"path": "query.limit"})
			return
		}
		f.Limit = n
	}
	es, err := a.store.ListAudit(c.Request.Context(), f)
	if err != nil {
		a.storeFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": es})
}

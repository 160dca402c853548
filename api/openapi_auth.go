package api

import (
	"lifeline/accounts"
	"lifeline/api/auth"
	"lifeline/api/openapi"
)

// Sign-in, accounts, tokens and the audit trail (api/auth/handlers.go).
func init() {
	spec.Name(auth.MeResponse{}, "Me", "the signed-in account")
	spec.Name(accounts.Account{}, "Account", "")
	spec.Name(accounts.Credential{}, "Credential", "a token, session or sign-in link (never its secret)")
	spec.Name(auth.SecretResponse{}, "NewSecret", "a new token or sign-in link: the secret is shown only this once")
	spec.Name(accounts.AuditEntry{}, "AuditEntry", "who wrote what, when (append-only)")
	spec.Enum(accounts.Kind(""), string(accounts.KindToken), string(accounts.KindSession), string(accounts.KindLink))
	one := []openapi.Response{{Status: 200, Content: openapi.JSON(accounts.Account{})}}
	tokenID := openapi.PathParam("token", openapi.Int().Set("minimum", 1), "the credential's id")
	describe(
		openapi.Op{Method: "POST", Path: "/v1/auth/login", Tag: "accounts", Summary: "sign in: sets the session cookie",
			Description: "A username and password, or the secret of a one-time sign-in link. Failed sign-ins are rate-limited per client address.",
			Body:        &openapi.Body{Required: true, Content: openapi.JSON(auth.LoginRequest{})},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(auth.MeResponse{}),
				Headers: map[string]string{"Set-Cookie": auth.SessionCookie + "=...; HttpOnly; SameSite=Strict"}}}},
		openapi.Op{Method: "POST", Path: "/v1/auth/logout", Tag: "accounts", Summary: "sign out: ends the session",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{"signed_out": openapi.Bool()}, "signed_out"))}}},
		openapi.Op{Method: "GET", Path: "/v1/auth/me", Tag: "accounts", Summary: "who is signed in",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(auth.MeResponse{})}}},
		openapi.Op{Method: "GET", Path: "/v1/accounts", Tag: "accounts", Summary: "every account",
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"accounts": openapi.Nullable(openapi.Arr(openapi.Of(accounts.Account{})))}, "accounts"))}}},
		openapi.Op{Method: "POST", Path: "/v1/accounts", Tag: "accounts", Summary: "add an account",
			Body:      &openapi.Body{Required: true, Content: openapi.JSON(auth.AccountRequest{})},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(accounts.Account{})}}},
		openapi.Op{Method: "PUT", Path: "/v1/accounts/:id", Tag: "accounts", Summary: "change an account's role or password",
			Params: []openapi.Param{idParam}, Body: &openapi.Body{Required: true, Content: openapi.JSON(auth.AccountRequest{})}, Responses: one},
		openapi.Op{Method: "DELETE", Path: "/v1/accounts/:id", Tag: "accounts", Summary: "revoke an account (and its credentials)",
			Params: []openapi.Param{idParam}, Responses: one},
		openapi.Op{Method: "GET", Path: "/v1/accounts/:id/tokens", Tag: "accounts", Summary: "an account's credentials",
			Params: []openapi.Param{idParam},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"credentials": openapi.Nullable(openapi.Arr(openapi.Of(accounts.Credential{})))}, "credentials"))}}},
		openapi.Op{Method: "POST", Path: "/v1/accounts/:id/tokens", Tag: "accounts", Summary: "issue an API token (shown once)",
			Params: []openapi.Param{idParam}, Body: &openapi.Body{Content: openapi.JSON(auth.TokenRequest{})},
			Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(auth.SecretResponse{})}}},
		openapi.Op{Method: "DELETE", Path: "/v1/accounts/:id/tokens/:token", Tag: "accounts", Summary: "revoke a credential",
			Params: []openapi.Param{idParam, tokenID},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"id": openapi.Int(), "revoked": openapi.Bool()}, "id", "revoked"))}}},
		openapi.Op{Method: "POST", Path: "/v1/accounts/:id/link", Tag: "accounts", Summary: "a one-time sign-in link (valid 24 h)",
			Params: []openapi.Param{idParam}, Responses: []openapi.Response{{Status: 201, Content: openapi.JSON(auth.SecretResponse{})}}},
		openapi.Op{Method: "GET", Path: "/v1/audit", Tag: "accounts", Summary: "the audit trail, newest first",
			Params: []openapi.Param{openapi.Query("entity", openapi.Str(), "only this kind of entity (zone, account, rider, ...)"),
				openapi.Query("since", openapi.DateTime(), "only entries from then on"),
				openapi.Query("limit", openapi.Int().Set("minimum", 1), "at most this many")},
			Responses: []openapi.Response{{Status: 200, Content: openapi.JSON(openapi.Obj(map[string]openapi.Schema{
				"entries": openapi.Nullable(openapi.Arr(openapi.Of(accounts.AuditEntry{})))}, "entries"))}}},
	)
}

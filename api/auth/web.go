package auth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// ContentSecurityPolicy of every response: only our own scripts, styles and
// connections; no framing, no plugins.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// APIContentSecurityPolicy is the policy of the JSON API's answers
// (/v1/..., except the printable pages asked with format=html): nothing in
// them may load or run anything, nor be framed (the short form OWASP
// recommends for APIs: a fifth of the page policy's bytes to write on the
// hot look-up path).
const APIContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// headers sets the browser hardening headers on every response: the page
// policy on pages and files, the API policy on JSON answers.
func (a *Auth) headers(c *gin.Context) {
	h := c.Writer.Header()
	// canonical keys, shared read-only values: no allocation per request
	h["X-Content-Type-Options"] = hdrNoSniff
	if strings.HasPrefix(c.Request.URL.Path, "/v1/") && !strings.Contains(c.Request.URL.RawQuery, "format=html") {
		// a JSON answer is never a page: frame-ancestors forbids framing
		// it, it navigates nowhere (no referrer to leak); each header more
		// is work on the hot look-up path
		h["Content-Security-Policy"] = hdrAPICSP
	} else {
		h["Content-Security-Policy"] = hdrCSP
		h["X-Frame-Options"] = hdrDeny
		h["Referrer-Policy"] = hdrNoReferrer
	}
	c.Next()
}

// header reads a request header by its canonical name (the map directly:
// GetHeader canonicalises the name on every call, on every request).
func header(c *gin.Context, canonical string) string {
	if v := c.Request.Header[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var (
	hdrCSP        = []string{ContentSecurityPolicy}
	hdrAPICSP     = []string{APIContentSecurityPolicy}
	hdrDeny       = []string{"DENY"}
	hdrNoReferrer = []string{"no-referrer"}
	hdrNoSniff    = []string{"nosniff"}
)

// crossSite refuses cross-origin writes and answers CORS for the
// allow-list. A write (POST, PUT, PATCH, DELETE) must come from the page's
// own origin or an allowed one: Origin, when sent, must match; without
// Origin, Sec-Fetch-Site must not say cross-site or same-site. Clients that
// send neither (curl, scripts with a bearer token) pass. Reads are not
// checked (the SameSite=Strict cookie is not sent cross-site anyway).
func (a *Auth) crossSite(c *gin.Context) {
	origin := header(c, "Origin")
	allowed := origin != "" && a.cors[origin]
	if allowed {
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if c.Request.Method == http.MethodOptions && origin != "" {
		if !allowed {
			abort(c, http.StatusForbidden, "cross_origin", "origin "+origin+" may not call this API (see --cors-origins)", map[string]any{"origin": origin})
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	if Writes(c.Request.Method) && !allowed {
		if origin != "" && !sameOrigin(origin, c.Request) {
			abort(c, http.StatusForbidden, "cross_origin", "cross-site write refused: origin "+origin+" is not this site", map[string]any{"origin": origin})
			return
		}
		if origin == "" {
			switch header(c, "Sec-Fetch-Site") {
			case "cross-site", "same-site":
				abort(c, http.StatusForbidden, "cross_origin", "cross-site write refused (Sec-Fetch-Site: "+c.GetHeader("Sec-Fetch-Site")+")", nil)
				return
			}
		}
	}
	c.Next()
}

// sameOrigin reports whether origin names the host the request was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	if origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

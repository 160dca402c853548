package auth

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"lifeline/accounts"
	"lifeline/data/memstore"
)

// BenchmarkOverhead is the auth layer alone on an empty GET /v1/lookup
// handler: "none" has no layer, "bearer" and "session" the whole chain
// (headers, cross-site check, credential cache, table, audit pass-through).
// The difference is what every authenticated read pays.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	acc, _ := st.CreateAccount(ctx, accounts.Account{Username: "bench", Role: accounts.RoleViewer})
	token, _, _ := accounts.Issue(ctx, st, acc.ID, accounts.KindToken, "", time.Hour, time.Now())
	session, _, _ := accounts.Issue(ctx, st, acc.ID, accounts.KindSession, "", time.Hour, time.Now())
	gin.SetMode(gin.ReleaseMode)
	mk := func(a *Auth) http.Handler {
		r := gin.New()
		r.Use(func(c *gin.Context) { c.Set("request_id", "x") }) // as api's request context does
		if a != nil {
			a.Install(r)
		}
		r.GET("/v1/lookup", func(c *gin.Context) { c.Status(http.StatusNoContent) })
		return r
	}
	for _, v := range []struct {
		name string
		h    http.Handler
		set  func(*http.Request)
	}{
		{"none", mk(nil), func(*http.Request) {}},
		{"bearer", mk(New(Config{Store: st})), func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }},
		{"session", mk(New(Config{Store: st})), func(r *http.Request) { r.AddCookie(&http.Cookie{Name: SessionCookie, Value: session}) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/v1/lookup?lon=104.07&lat=30.65", nil)
			req.RemoteAddr = "127.0.0.1:5000"
			v.set(req)
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			cpu0, n := cpuTime(), 0
			for b.Loop() {
				clear(w.h)
				v.h.ServeHTTP(w, req)
				if w.code != http.StatusNoContent {
					b.Fatalf("status %d", w.code)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's CPU time (less disturbed by other load on a
// shared machine than wall time).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkWireCost is what the auth layer adds on the wire of a look-up,
// outside its middleware: reading the request with its credential header
// (net/http's parser) and writing the answer's header block with the four
// hardening headers (net/http's header writer, as the server does).
func BenchmarkWireCost(b *testing.B) {
	const get = "GET /v1/lookup?lon=104.07&lat=30.65 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
	secret := strings.Repeat("x", 43) // a token's length
	for _, v := range []struct{ name, hdr string }{
		{"request/none", ""},
		{"request/bearer", "Authorization: Bearer " + secret + "\r\n"},
		{"request/session", "Cookie: " + SessionCookie + "=" + secret + "\r\n"},
	} {
		raw := get + v.hdr + "\r\n"
		b.Run(v.name, func(b *testing.B) {
			var r strings.Reader
			br := bufio.NewReader(&r)
			for b.Loop() {
				r.Reset(raw)
				br.Reset(&r)
				if _, err := http.ReadRequest(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	base := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {"0123456789abcdef"}}
	hardened := base.Clone()
	hardened["Content-Security-Policy"] = hdrCSP
	hardened["X-Frame-Options"] = hdrDeny
	hardened["Referrer-Policy"] = hdrNoReferrer
	hardened["X-Content-Type-Options"] = hdrNoSniff
	for _, v := range []struct {
		name string
		h    http.Header
	}{{"answer/none", base}, {"answer/hardened", hardened}} {
		b.Run(v.name, func(b *testing.B) {
			w := bufio.NewWriter(io.Discard)
			for b.Loop() {
				_ = v.h.Write(w)
				w.Reset(io.Discard)
			}
		})
	}
}

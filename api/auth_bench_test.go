package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"lifeline/accounts"
	"lifeline/api"
	"lifeline/api/auth"
	"lifeline/data/demo"
	"lifeline/data/memstore"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLookupAuth measures GET /v1/lookup on the demo district through
// real HTTP (loopback, keep-alive, parallel clients) without the auth layer
// ("none"), with a bearer token and with a session cookie, to show the cost
// of authentication on the hot path. Compare the variants from the same run
// (bench/http/auth_ab.sh interleaves them).
func BenchmarkLookupAuth(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	if err := demo.Load(ctx, st, demo.Default()); err != nil {
		b.Fatal(err)
	}
	acc, err := st.CreateAccount(ctx, accounts.Account{Username: "bench", Role: accounts.RoleViewer})
	if err != nil {
		b.Fatal(err)
	}
	token, _, _ := accounts.Issue(ctx, st, acc.ID, accounts.KindToken, "", time.Hour, time.Now())
	session, _, _ := accounts.Issue(ctx, st, acc.ID, accounts.KindSession, "", time.Hour, time.Now())
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	plain := httptest.NewServer(api.New(api.Deps{Store: st, Logger: log}))
	defer plain.Close()
	guarded := httptest.NewServer(api.New(api.Deps{Store: st, Logger: log, Auth: auth.New(auth.Config{Store: st, Logger: log})}))
	defer guarded.Close()
	const path = "/v1/lookup?lon=104.07&lat=30.65&at=2026-11-23T08:00:00Z"
	// in-process: the handler chain only (no sockets), less noise
	for _, v := range []struct {
		name string
		h    http.Handler
		set  func(*http.Request)
	}{
		{"handler/none", plain.Config.Handler, func(*http.Request) {}},
		{"handler/bearer", guarded.Config.Handler, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }},
		{"handler/session", guarded.Config.Handler, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session}) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			req.RemoteAddr = "127.0.0.1:5000"
			v.set(req)
			// CPU time per request as well as wall time: on a shared machine
			// the process's own CPU time is far less noisy.
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				w := httptest.NewRecorder()
				v.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
		})
	}
	for _, v := range []struct {
		name, base string
		set        func(*http.Request)
	}{
		{"none", plain.URL, func(*http.Request) {}},
		{"bearer", guarded.URL, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }},
		{"session", guarded.URL, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: session}) }},
	} {
		b.Run("http/"+v.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest("GET", v.base+path, nil)
				v.set(req)
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

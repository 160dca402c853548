package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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

// lookupAuthServers serves the demo district without the auth layer
// (plain) and with it (guarded), and issues a viewer's token and session.
func lookupAuthServers(b testing.TB) (plain, guarded *httptest.Server, token, session string) {
	b.Helper()
	ctx := context.Background()
	st := memstore.New()
	b.Cleanup(func() { st.Close() })
	if err := demo.Load(ctx, st, demo.Default()); err != nil {
		b.Fatal(err)
	}
	acc, err := st.CreateAccount(ctx, accounts.Account{Username: "bench", Role: accounts.RoleViewer})
	if err != nil {
		b.Fatal(err)
	}
	token, _, _ = accounts.Issue(ctx, st, acc.ID, accounts.KindToken, "", time.Hour, time.Now())
	session, _, _ = accounts.Issue(ctx, st, acc.ID, accounts.KindSession, "", time.Hour, time.Now())
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	plain = httptest.NewServer(api.New(api.Deps{Store: st, Logger: log}))
	b.Cleanup(plain.Close)
	guarded = httptest.NewServer(api.New(api.Deps{Store: st, Logger: log, Auth: auth.New(auth.Config{Store: st, Logger: log})}))
	b.Cleanup(guarded.Close)
	return plain, guarded, token, session
}

// BenchmarkLookupAuth measures GET /v1/lookup on the demo district through
// real HTTP (loopback, keep-alive, parallel clients) without the auth layer
// ("none"), with a bearer token and with a session cookie, to show the cost
// of authentication on the hot path. Compare the variants from the same run
// (bench/http/auth_ab.sh interleaves them).
func BenchmarkLookupAuth(b *testing.B) {
	plain, guarded, token, session := lookupAuthServers(b)
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

// rawClient is a minimal HTTP/1.1 keep-alive client (one connection, a
// fixed request, answers read by Content-Length), so that the A/B below
// measures the server rather than net/http's client.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	req  []byte
}

func dialRaw(addr, path string, hdr string) (*rawClient, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: ab\r\n" + hdr + "\r\n"
	return &rawClient{conn: c, r: bufio.NewReaderSize(c, 16<<10), req: []byte(req)}, nil
}

// do sends the request and reads the answer; it returns the status.
func (rc *rawClient) do() (int, error) {
	if _, err := rc.conn.Write(rc.req); err != nil {
		return 0, err
	}
	status, n := 0, -1
	for first := true; ; first = false {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if first {
			if len(line) < 12 {
				return 0, fmt.Errorf("bad status line %q", line)
			}
			status, _ = strconv.Atoi(string(line[9:12]))
			continue
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return 0, fmt.Errorf("no Content-Length")
	}
	_, err := rc.r.Discard(n)
	return status, err
}

// BenchmarkLookupAuthAB is the interleaved A/B of authentication through
// HTTP: GET /v1/lookup on the demo district over loopback keep-alive
// connections, without the auth layer ("none"), with a bearer token and
// with a session cookie. Rounds of short phases, one per variant in a
// rotating order, so that the load of the shared machine falls on every
// variant alike; per round the cost is each variant's throughput (and the
// process's CPU time per request) against "none" of the same round, and
// the reported figure is the median over the rounds. Run it once:
// go test -run '^$' -bench LookupAuthAB -benchtime 1x ./api/ (AB_ROUNDS,
// AB_PHASE, AB_CONNS change the shape; make bench-auth runs it).
func BenchmarkLookupAuthAB(b *testing.B) {
	plain, guarded, token, session := lookupAuthServers(b)
	env := func(k string, d int) int {
		if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
			return v
		}
		return d
	}
	rounds, phase, conns := env("AB_ROUNDS", 15), time.Duration(env("AB_PHASE", 400))*time.Millisecond, env("AB_CONNS", 16)
	const path = "/v1/lookup?lon=104.07&lat=30.65&at=2026-11-23T08:00:00Z"
	variants := []struct {
		name, addr, hdr string
	}{
		{"none", plain.Listener.Addr().String(), ""},
		{"bearer", guarded.Listener.Addr().String(), "Authorization: Bearer " + token + "\r\n"},
		{"session", guarded.Listener.Addr().String(), "Cookie: " + auth.SessionCookie + "=" + session + "\r\n"},
	}
	if only := os.Getenv("AB_ONLY"); only != "" { // profile one variant
		variants = slices.DeleteFunc(variants, func(v struct{ name, addr, hdr string }) bool { return v.name != only && v.name != "none" })
		if only != "none" {
			variants = variants[1:]
		}
	}
	clients := make([][]*rawClient, len(variants))
	for i, v := range variants {
		for range conns {
			rc, err := dialRaw(v.addr, path, v.hdr)
			if err != nil {
				b.Fatal(err)
			}
			defer rc.conn.Close()
			clients[i] = append(clients[i], rc)
		}
	}
	mallocs := func() uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.Mallocs
	}
	run := func(i int, d time.Duration) (reqs int64, wall, cpu time.Duration, allocs uint64) {
		var n atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		m0, cpu0, t0 := mallocs(), cpuTime(), time.Now()
		for _, rc := range clients[i] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if s, err := rc.do(); err != nil || s != 200 {
						b.Errorf("%s: status %d, %v", variants[i].name, s, err)
						return
					}
					n.Add(1)
				}
			}()
		}
		time.Sleep(d)
		close(stop)
		wg.Wait()
		return n.Load(), time.Since(t0), cpuTime() - cpu0, mallocs() - m0
	}
	for i := range variants {
		run(i, phase/2) // warm up caches, connections and the credential cache
	}
	b.ResetTimer()
	rate := make([][]float64, len(variants))   // requests per second, per round
	cpuPer := make([][]float64, len(variants)) // process CPU ns per request, per round
	allocsPer := make([]float64, len(variants))
	for r := 0; r < rounds; r++ {
		for k := range variants {
			i := (k + r) % len(variants)
			n, wall, cpu, al := run(i, phase)
			allocsPer[i] = float64(al) / float64(n)
			rate[i] = append(rate[i], float64(n)/wall.Seconds())
			cpuPer[i] = append(cpuPer[i], float64(cpu.Nanoseconds())/float64(n))
		}
	}
	b.StopTimer()
	median := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		if len(s)%2 == 1 {
			return s[len(s)/2]
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	for i, v := range variants {
		b.ReportMetric(median(rate[i]), v.name+"-req/s")
		b.ReportMetric(median(cpuPer[i]), v.name+"-cpu-ns/req")
		b.ReportMetric(allocsPer[i], v.name+"-allocs/req")
		if i == 0 || variants[0].name != "none" {
			continue
		}
		slow, cpuCost := make([]float64, rounds), make([]float64, rounds)
		for r := range rounds {
			slow[r] = (rate[0][r]/rate[i][r] - 1) * 100
			cpuCost[r] = (cpuPer[i][r]/cpuPer[0][r] - 1) * 100
		}
		b.ReportMetric(median(slow), v.name+"-cost-%")
		b.ReportMetric(median(cpuCost), v.name+"-cpu-cost-%")
	}
}

// TestLookupAuthInstructions is the machine-independent form of the A/B
// (bench/http/auth_ir.sh). With AB_SERVE=FILE it starts the two look-up
// servers (without and with the auth layer), writes their addresses and a
// bearer token and session to FILE, and serves until FILE.done exists: run
// under valgrind's callgrind, the instructions it executes are the server's
// alone. With AB_CLIENT=FILE it sends AB_REQUESTS look-ups over one
// keep-alive connection for AB_VARIANT (none, bearer or session) to the
// servers FILE names. Instruction counts do not depend on what else the
// machine runs. Skipped unless AB_SERVE or AB_CLIENT is set.
func TestLookupAuthInstructions(t *testing.T) {
	if f := os.Getenv("AB_SERVE"); f != "" {
		plain, guarded, token, session := lookupAuthServers(t)
		info := plain.Listener.Addr().String() + "\n" + guarded.Listener.Addr().String() + "\n" + token + "\n" + session + "\n"
		if err := os.WriteFile(f+".tmp", []byte(info), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f+".tmp", f); err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(f + ".done"); err == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	f := os.Getenv("AB_CLIENT")
	if f == "" {
		t.Skip("set AB_SERVE=FILE (under callgrind) or AB_CLIENT=FILE with AB_VARIANT=none|bearer|session (bench/http/auth_ir.sh)")
	}
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var plainAddr, guardedAddr, token, session string
	if _, err := fmt.Sscan(string(b), &plainAddr, &guardedAddr, &token, &session); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(os.Getenv("AB_REQUESTS"))
	if n <= 0 {
		n = 2000
	}
	const path = "/v1/lookup?lon=104.07&lat=30.65&at=2026-11-23T08:00:00Z"
	addr, hdr := plainAddr, ""
	switch v := os.Getenv("AB_VARIANT"); v {
	case "none":
	case "bearer":
		addr, hdr = guardedAddr, "Authorization: Bearer "+token+"\r\n"
	case "session":
		addr, hdr = guardedAddr, "Cookie: "+auth.SessionCookie+"="+session+"\r\n"
	default:
		t.Fatalf("AB_VARIANT %q: none, bearer or session", v)
	}
	rc, err := dialRaw(addr, path, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.conn.Close()
	for i := 0; i < n; i++ {
		if status, err := rc.do(); err != nil || status != 200 {
			t.Fatalf("request %d: %d %v", i, status, err)
		}
	}
}

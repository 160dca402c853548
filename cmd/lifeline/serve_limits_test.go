package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowClient opens a connection to base, writes head at once and then
// trickle one byte every 200 ms, and returns how long the server kept the
// connection open (until it answered and closed, or reset it), with what
// it answered.
func slowClient(t *testing.T, base, head, trickle string, max time.Duration) (time.Duration, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		for i := 0; i < len(trickle); i++ {
			time.Sleep(200 * time.Millisecond)
			if _, err := conn.Write([]byte{trickle[i]}); err != nil {
				return
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(max))
	resp, _ := io.ReadAll(bufio.NewReader(conn))
	return time.Since(start), string(resp)
}

// TestServeSlowClient (issue item 7): a client sending its headers or its
// body at 5 bytes/s is cut off after the read timeouts (flags), not held
// for minutes.
func TestServeSlowClient(t *testing.T) {
	base, stop := startServe(t, t.TempDir(), "--read-header-timeout", "1s", "--read-timeout", "2s", "--idle-timeout", "3s")
	defer stop()
	body := strings.Repeat(" ", 200)
	took, resp := slowClient(t, base, "POST /v1/matrix HTTP/1.1\r\nHost: x\r\n", "X-Slow: "+body, 20*time.Second)
	if took > 4*time.Second {
		t.Errorf("slow headers held the connection %s", took)
	}
	t.Logf("slow headers: closed after %s: %.40q", took, resp)
	tok, _ := testTokens.Load(base)
	took, resp = slowClient(t, base, "POST /v1/matrix HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok.(string)+"\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n", body, 20*time.Second)
	if took > 5*time.Second {
		t.Errorf("slow body held the connection %s", took)
	}
	if resp != "" && !strings.Contains(resp, "408") {
		t.Errorf("slow body answered %.80q, want 408 or a closed connection", resp)
	}
	t.Logf("slow body: closed after %s: %.40q", took, resp)
	// HEAD / is the browser UI's page
	r, err := http.Head(base + "/")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("HEAD /: %v %v", err, r)
	}
	r.Body.Close()
}

func TestServeLimitFlags(t *testing.T) {
	env := map[string]string{"LIFELINE_SOLVE_QUEUE": "7", "LIFELINE_READ_TIMEOUT": "9s"}
	c, err := loadConfig([]string{"--solve-workers", "3", "--idle-timeout", "11s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.SolveWorkers != 3 || c.Limits.SolveQueue != 7 || c.Limits.ReadTimeout != 9*time.Second || c.Limits.IdleTimeout != 11*time.Second ||
		c.Limits.ReadHeaderTimeout != 5*time.Second {
		t.Fatalf("limits %+v", c.Limits)
	}
	if c.DeliveryPlanTime != 10*time.Second {
		t.Fatalf("delivery plan time %s, want 10s", c.DeliveryPlanTime)
	}
	env = map[string]string{"LIFELINE_DELIVERY_PLAN_TIME": "50s"}
	if c, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard); err != nil || c.DeliveryPlanTime != 50*time.Second {
		t.Fatalf("LIFELINE_DELIVERY_PLAN_TIME=50s: %s %v", c.DeliveryPlanTime, err)
	}
	for _, args := range [][]string{{"--solve-workers", "-1"}, {"--read-timeout", "0s"}, {"--solve-queue", "x"}, {"--delivery-plan-time", "0s"}, {"--delivery-plan-time", "1h"}} {
		if _, err := loadConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	env = map[string]string{"LIFELINE_SOLVE_WORKERS": "many"}
	if _, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard); err == nil {
		t.Error("LIFELINE_SOLVE_WORKERS=many accepted")
	}
}

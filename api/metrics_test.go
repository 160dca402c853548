package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lifeline/api"
	"lifeline/data/memstore"
	"lifeline/internal/metrics"
)

func TestMetricsEndpoint(t *testing.T) {
	h := api.New(api.Deps{Store: memstore.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New()})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, p := range []string{"/healthz", "/v1/zones/1", "/v1/zones/2", "/no/such"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`lifeline_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		// Two ids, one route pattern: labels stay bounded.
		`lifeline_http_requests_total{code="404",method="GET",route="/v1/zones/:id"} 2`,
		`lifeline_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`lifeline_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

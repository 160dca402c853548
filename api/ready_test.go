package api_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"lifeline/api"
	"lifeline/data/memstore"
)

// listeningStore is a store whose zone change stream can be up or down,
// as a PostGIS replica's LISTEN connection.
type listeningStore struct {
	*memstore.Store
	up atomic.Bool
}

func (s *listeningStore) Listening() bool { return s.up.Load() }

// TestReadyFollowsZoneStream: a replica whose zone change stream is down
// (its in-memory zone index may be behind) is not ready, and is again once
// the stream is back.
func TestReadyFollowsZoneStream(t *testing.T) {
	st := &listeningStore{Store: memstore.New()}
	srv := httptest.NewServer(api.New(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	code, got := do(t, srv, "GET", "/readyz", "")
	if code != 503 || got["code"] != "zone_stream_down" {
		t.Fatalf("stream down: %d %v", code, got)
	}
	st.up.Store(true)
	if code, got = do(t, srv, "GET", "/readyz", ""); code != 200 || got["status"] != "ready" {
		t.Fatalf("stream up: %d %v", code, got)
	}
}

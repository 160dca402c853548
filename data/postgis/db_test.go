package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultTestDatabaseURL is used when LIFELINE_TEST_DATABASE_URL is unset.
const DefaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDatabaseURL() string {
	if u := os.Getenv("LIFELINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultTestDatabaseURL
}

var (
	probeOnce sync.Once
	probeErr  error
)

// probe checks once per process that the database answers and offers
// PostGIS, so a missing database costs one short timeout, not one per test.
func probe() error {
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDatabaseURL())
		if err != nil {
			probeErr = err
			return
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'`).Scan(&n); err != nil {
			probeErr = err
			return
		}
		if n == 0 {
			probeErr = ErrNoPostGIS
		}
	})
	return probeErr
}

// skipOrFatal skips without a database unless LIFELINE_REQUIRE_DB=1.
func skipOrFatal(tb testing.TB, err error) {
	tb.Helper()
	msg := "PostGIS test database unavailable at " + testDatabaseURL() + ": " + err.Error() +
		" (set LIFELINE_TEST_DATABASE_URL, run `bash .ci/postgis.sh`; LIFELINE_REQUIRE_DB=1 turns this skip into a failure)"
	if os.Getenv("LIFELINE_REQUIRE_DB") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

func randomSchema(tb testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "lifeline_test_" + hex.EncodeToString(b[:])
}

// dropSchema removes a test schema and everything in it.
func dropSchema(tb testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDatabaseURL())
	if err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

// openTestStore opens a Store in a fresh random schema, dropped (after the
// store is closed) in tb.Cleanup. It skips or fails as skipOrFatal says.
func openTestStore(tb testing.TB) *Store {
	tb.Helper()
	if err := probe(); err != nil {
		skipOrFatal(tb, err)
	}
	schema := randomSchema(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, testDatabaseURL(), WithSchema(schema), WithMaxConns(4))
	if errors.Is(err, ErrNoPostGIS) {
		skipOrFatal(tb, err)
	}
	// Cleanup runs even when Open failed half-way (schema created).
	tb.Cleanup(func() {
		if s != nil {
			s.Close()
		}
		dropSchema(tb, schema)
	})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	return s
}

package postgis

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lifeline/zones"
)

// TestTranslate needs no database: it feeds synthetic driver errors.
func TestTranslate(t *testing.T) {
	wrapped := func(e error) error { return fmt.Errorf("query: %w", e) }
	cases := []struct {
		name     string
		in       error
		notFound bool
		conflict bool
		path     string // want a *zones.ValidationError at this path
	}{
		{"no rows", pgx.ErrNoRows, true, false, ""},
		{"wrapped no rows", wrapped(pgx.ErrNoRows), true, false, ""},
		{"kind check", &pgconn.PgError{Code: "23514", ConstraintName: "zones_kind_check"}, false, false, "p.properties.kind"},
		{"window check", wrapped(&pgconn.PgError{Code: "23514", ConstraintName: "zones_window_check"}), false, false, "p.properties.effective_until"},
		{"unknown check", &pgconn.PgError{Code: "23514", ConstraintName: "other_check"}, false, false, "p.other_check"},
		{"not null", &pgconn.PgError{Code: "23502", ColumnName: "geom"}, false, false, "p.geom"},
		{"unique", &pgconn.PgError{Code: "23505"}, false, true, ""},
		{"other", errors.New("boom"), false, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := translate(tc.in, "p.", "ctx")
			if got := errors.Is(err, zones.ErrNotFound); got != tc.notFound {
				t.Fatalf("ErrNotFound = %v (%v)", got, err)
			}
			if got := errors.Is(err, zones.ErrConflict); got != tc.conflict {
				t.Fatalf("ErrConflict = %v (%v)", got, err)
			}
			var ve *zones.ValidationError
			if got := errors.As(err, &ve); got != (tc.path != "") || (got && ve.Path != tc.path) {
				t.Fatalf("validation error = %v, want path %q", err, tc.path)
			}
		})
	}
	if translate(nil, "", "x") != nil {
		t.Fatal("nil must stay nil")
	}
	if !isGeomViolation(&pgconn.PgError{Code: "23514", ConstraintName: "compounds_geom_valid"}) ||
		isGeomViolation(&pgconn.PgError{Code: "23514", ConstraintName: "zones_kind_check"}) {
		t.Fatal("isGeomViolation")
	}
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("migrations: %v %v", ms, err)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].version <= ms[i-1].version {
			t.Fatalf("migrations out of order: %d after %d", ms[i].version, ms[i-1].version)
		}
	}
}

// Package postgis is the PostgreSQL + PostGIS implementation of zones.Store,
// built on pgx/v5 (pgxpool).
//
// Geometry travels as EWKB with SRID 4326 (orb/encoding/ewkb): written with
// ST_GeomFromEWKB($n::bytea), read with ST_AsEWKB(geom). Coordinates are
// [lon, lat] in WGS84 everywhere. Every geometry column carries a CHECK on
// ST_IsValid; a geometry PostGIS finds invalid is rejected with a
// *zones.ValidationError whose message holds ST_IsValidReason, and nothing is
// written.
//
// Open applies the embedded, numbered migrations (migrations/NNNN_name.sql),
// each in its own transaction under an advisory lock, recording them in
// schema_migrations. WithSchema puts all tables in a schema of their own
// (created when missing), which is how tests isolate themselves.
//
// Errors: pgx.ErrNoRows becomes zones.ErrNotFound, CHECK / NOT NULL /
// foreign-key violations become *zones.ValidationError, unique violations
// zones.ErrConflict. A Store is safe for concurrent use.
package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"lifeline/zones"
	"lifeline/zones/live"
)

// Errors of this package.
var (
	// ErrNoPostGIS means the server has no PostGIS extension and it could
	// not be created (package not installed, or no privilege).
	ErrNoPostGIS = errors.New("postgis: PostGIS extension not available")
	// ErrBadSchema means the name given to WithSchema is not a plain
	// lower-case SQL identifier.
	ErrBadSchema = errors.New("postgis: bad schema name")
	// ErrBadMigration means an embedded migration file is misnamed.
	ErrBadMigration = errors.New("postgis: bad migration")
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// SRID of every geometry column (WGS84 lon/lat).
const SRID = 4326

// MaxBatch is the number of points LookupBatch sends in one round trip;
// longer inputs are split into chunks of this size.
const MaxBatch = 10000

var _ zones.Store = (*Store)(nil)

// Store is a zones.Store on PostgreSQL + PostGIS. Safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema string // "" for the connection's default search_path

	// zone index and change listener (changes.go); mirror is nil with
	// WithoutZoneIndex
	mirror       *live.Mirror
	notifySchema string // the schema named by this store's notices
	catchMu      sync.Mutex
	catchStarted atomic.Uint64 // catch-ups started (afterWrite shares them)
	listening    atomic.Bool
	listenPID    atomic.Uint32 // backend pid of the listener's connection (tests)
	stopListen   context.CancelFunc
	listenDone   chan struct{}
}

type options struct {
	schema   string
	maxConns int32
	noIndex  bool
	poll     time.Duration
}

// Option configures Open.
type Option func(*options)

// WithSchema keeps every table of the store in the given schema, created if
// missing; the connection search_path becomes "schema, <PostGIS schema>".
// The name must match ^[a-z_][a-z0-9_]{0,62}$ (else ErrBadSchema).
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// WithMaxConns caps the pool size (default: pgxpool's, max(4, NumCPU)).
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

var schemaRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to databaseURL (a libpq URL or DSN), makes sure PostGIS is
// present (creating the extension if the role may), creates the schema of
// WithSchema if needed and applies pending migrations. It returns
// ErrNoPostGIS (wrapped) when PostGIS cannot be had, and the connection
// error (wrapped) when the server is unreachable.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.schema != "" && !schemaRe.MatchString(o.schema) {
		return nil, fmt.Errorf("%w: %q", ErrBadSchema, o.schema)
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgis: parse database url: %w", err)
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	// The look-up queries are short OLTP statements whose PostGIS cost
	// estimates are high enough to trigger JIT compilation, which then
	// costs more (tens of ms) than the query itself. Keep JIT off unless
	// the URL says otherwise (options=-c jit=on).
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}

	extSchema, err := bootstrap(ctx, cfg.ConnConfig.Copy(), o.schema)
	if err != nil {
		return nil, err
	}
	if o.schema != "" {
		sp := pgx.Identifier{o.schema}.Sanitize()
		if extSchema != o.schema {
			sp += ", " + pgx.Identifier{extSchema}.Sanitize()
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = sp
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	s := &Store{pool: pool, schema: o.schema, notifySchema: o.schema}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if !o.noIndex {
		if o.poll <= 0 {
			o.poll = DefaultChangePoll
		}
		if err := s.startMirror(ctx, cfg.ConnConfig.Copy(), o.poll); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

// bootstrap runs on a single connection: it ensures the PostGIS extension,
// returns the schema it lives in, and creates the store's schema.
func bootstrap(ctx context.Context, cc *pgx.ConnConfig, schema string) (string, error) {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return "", fmt.Errorf("postgis: connect: %w", err)
	}
	defer conn.Close(context.Background())

	const extQ = `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'`
	var extSchema string
	err = conn.QueryRow(ctx, extQ).Scan(&extSchema)
	if errors.Is(err, pgx.ErrNoRows) {
		// Serialise concurrent creators; CREATE EXTENSION IF NOT EXISTS is
		// not safe against a concurrent twin. Put it in public so dropping a
		// test schema never drops the extension.
		_, err = conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('lifeline.postgis.extension'))`)
		if err == nil {
			_, err = conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public`)
			_, _ = conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext('lifeline.postgis.extension'))`)
		}
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoPostGIS, err)
		}
		err = conn.QueryRow(ctx, extQ).Scan(&extSchema)
	}
	if err != nil {
		return "", fmt.Errorf("postgis: find extension: %w", err)
	}
	if schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return "", fmt.Errorf("postgis: create schema %s: %w", schema, err)
		}
	}
	return extSchema, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: %s: want NNNN_name.sql", ErrBadMigration, path)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("%w: %s and %s share version %d", ErrBadMigration, prev, path, v)
		}
		seen[v] = path
		b, err := migrationFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies pending migrations, each in its own transaction holding a
// per-schema advisory lock, so concurrent Opens on one schema are safe.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	const lock = `SELECT pg_advisory_xact_lock(hashtext('lifeline.migrate.' || current_schema()))`
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgis: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, lock); err != nil {
				return err
			}
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgis: migration %s: %w", m.name, err)
		}
	}
	if err := s.migrateRiver(ctx); err != nil {
		return fmt.Errorf("postgis: river migrations: %w", err)
	}
	return nil
}

// migrateRiver creates or upgrades River's tables (the job queue,
// river.go) in the store's schema with River's own migrator. River's
// migrations cannot share one transaction (one adds an enum value that the
// next uses), so concurrent Opens are serialised by a session advisory
// lock held on a connection of its own while the migrator runs.
func (s *Store) migrateRiver(ctx context.Context) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Schema: s.schema,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	const key = `hashtext('lifeline.river.migrate.' || current_schema())`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return err
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`) }()
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgis: ping: %w", err)
	}
	return nil
}

// Close stops the zone change listener and closes the pool, waiting for
// connections in use to be released.
func (s *Store) Close() error {
	if s.stopListen != nil {
		s.stopListen()
		<-s.listenDone
		s.mirror.Close()
		s.stopListen = nil
	}
	s.pool.Close()
	return nil
}

// Schema returns the schema given to WithSchema, or "".
func (s *Store) Schema() string { return s.schema }

// utc normalises a time read from the database.
func utc(t time.Time) time.Time { return t.UTC() }

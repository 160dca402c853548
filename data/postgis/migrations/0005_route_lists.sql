-- 0005: drivers' route lists (lifeline/routelists), one row per list under
-- its 10-digit code, kept for two days. body is the whole list as JSON
-- (vehicle, times, stops with the drivers' reports); the columns beside it
-- are what the queries select by. Stop names may hold personal data.

CREATE TABLE route_lists (
	code        text PRIMARY KEY CONSTRAINT route_lists_code_check CHECK (code ~ '^[1-9][0-9]{9}$'),
	created_at  timestamptz NOT NULL,
	driver      text NOT NULL DEFAULT '',
	owner       text NOT NULL DEFAULT '',
	share_hash  text NULL,
	body        jsonb NOT NULL
);
CREATE INDEX route_lists_created_idx ON route_lists (created_at, code);
CREATE INDEX route_lists_driver_idx ON route_lists (driver, created_at) WHERE driver <> '';
CREATE UNIQUE INDEX route_lists_share_idx ON route_lists (share_hash) WHERE share_hash IS NOT NULL;

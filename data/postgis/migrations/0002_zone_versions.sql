-- 0002: zone history. A zone keeps its id for life; every update adds a
-- version in force from the update's time, and the previous version ends
-- there (valid_until), so the map of any past time stays as it was.
-- zones keeps the identity (id, created_at, external_key) and mirrors the
-- current (last) version; zone_versions holds every version, and look-ups
-- at a time read it.

ALTER TABLE zones ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE zones ADD COLUMN external_key text NULL;
CREATE UNIQUE INDEX zones_external_key_uniq ON zones (external_key) WHERE external_key IS NOT NULL;

CREATE TABLE zone_versions (
	zone_id     bigint NOT NULL REFERENCES zones (id),
	version     integer NOT NULL CONSTRAINT zone_versions_version_check CHECK (version >= 1),
	kind        text NOT NULL
	            CONSTRAINT zone_versions_kind_check CHECK (kind IN ('prevention', 'controlled', 'sealed')),
	name        text NOT NULL DEFAULT '',
	reason      text NOT NULL DEFAULT '',
	geom        geometry(MultiPolygon, 4326) NOT NULL
	            CONSTRAINT zone_versions_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
	valid_from  timestamptz NOT NULL,
	valid_until timestamptz NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	created_by  text NULL,
	PRIMARY KEY (zone_id, version),
	CONSTRAINT zone_versions_window_check CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX zone_versions_geom_gist ON zone_versions USING gist (geom);
CREATE INDEX zone_versions_valid_idx ON zone_versions (valid_from, valid_until);

INSERT INTO zone_versions (zone_id, version, kind, name, reason, geom, valid_from, valid_until, created_at, updated_at)
SELECT id, 1, kind, name, reason, geom, effective_from, effective_until, created_at, updated_at FROM zones;

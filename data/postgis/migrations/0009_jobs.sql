-- 0009: solve jobs (lifeline/jobs): one row per job, shared by every
-- replica. args, progress and result are JSON kept as sent (json, not
-- jsonb); failure is the reason a failed job shows. river_id is the River
-- job that runs it (River's own tables come from rivermigrate in the same
-- migration step); node and heartbeat_at say which replica runs it and
-- when it last said so: a running job whose heartbeat stops is queued again
-- by another replica. A pinned job (a closure, not a registered worker)
-- runs only on its node and fails when that node stops.

CREATE TABLE jobs (
	id           text PRIMARY KEY,
	kind         text NOT NULL,
	owner        text NOT NULL DEFAULT '',
	state        text NOT NULL CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
	args         json NULL,
	timeout_ns   bigint NOT NULL DEFAULT 0,
	attempt      integer NOT NULL DEFAULT 0,
	created_at   timestamptz NOT NULL,
	started_at   timestamptz NULL,
	ended_at     timestamptz NULL,
	progress     json NULL,
	result       json NULL,
	failure      jsonb NULL,
	pinned       boolean NOT NULL DEFAULT false,
	river_id     bigint NULL,
	node         text NOT NULL DEFAULT '',
	heartbeat_at timestamptz NULL,
	CONSTRAINT jobs_ended_check CHECK ((state IN ('queued', 'running')) = (ended_at IS NULL))
);
CREATE INDEX jobs_live_idx ON jobs (created_at, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_ended_idx ON jobs (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX jobs_created_idx ON jobs (created_at, id);

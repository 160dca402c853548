-- 0010: every kind of job is a registered worker that any replica runs
-- from its arguments; jobs pinned to the replica that took them (closures)
-- are gone. A live pinned job left by an older version cannot run
-- anywhere: it fails, saying so, and the column goes.

UPDATE jobs SET state = 'failed', ended_at = now(), progress = NULL,
	failure = '{"status":503,"code":"interrupted","message":"the server was upgraded before this job ended; submit it again"}'::jsonb
	WHERE pinned AND state IN ('queued', 'running');

ALTER TABLE jobs DROP COLUMN pinned;

-- 0011: the scheduled cut-offs of medicine deliveries made, one row per
-- day and cut-off ("10:00"), so that replicas whose schedulers cut at the
-- same moment make one set of batches: the second insert of a pair fails
-- on the primary key and its transaction writes nothing. Cuts asked for
-- by hand ("now") are not keyed. Cut-offs already made are taken from the
-- batches.

CREATE TABLE delivery_cuts (
	day     date NOT NULL,
	cut     text NOT NULL,
	made_at timestamptz NOT NULL,
	PRIMARY KEY (day, cut)
);

INSERT INTO delivery_cuts (day, cut, made_at)
SELECT day, doc->>'cut', min(created_at) FROM delivery_batches WHERE doc->>'cut' <> 'now' GROUP BY day, doc->>'cut';

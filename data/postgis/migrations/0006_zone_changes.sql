-- 0006: the zone change stream (zones.ChangeFeed). Every write of a zone
-- version (insert, or update of its end) takes the next number of one
-- counter, zone_change_seq, into zone_versions.change_seq. The counter's
-- row stays locked until the writing transaction ends, so zone writers
-- commit in the order of their numbers: a reader that sees change n sees
-- every change before it, and "the versions with change_seq > n" is
-- exactly what a replica that applied n has not seen. At commit, a
-- deferred trigger sends NOTIFY lifeline_zone_changes with payload
-- '<schema> <last number>' (one per transaction: equal payloads merge).
-- Independent of the other migrations after 0004.

CREATE TABLE zone_change_seq (
	one boolean PRIMARY KEY DEFAULT true CONSTRAINT zone_change_seq_one CHECK (one),
	seq bigint NOT NULL
);

ALTER TABLE zone_versions ADD COLUMN change_seq bigint;
UPDATE zone_versions v SET change_seq = n.rn
FROM (SELECT zone_id, version, row_number() OVER (ORDER BY zone_id, version) AS rn FROM zone_versions) n
WHERE n.zone_id = v.zone_id AND n.version = v.version;
ALTER TABLE zone_versions ALTER COLUMN change_seq SET NOT NULL;
CREATE UNIQUE INDEX zone_versions_change_seq_idx ON zone_versions (change_seq);
INSERT INTO zone_change_seq (seq) SELECT count(*) FROM zone_versions;

CREATE FUNCTION zone_versions_number() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
	UPDATE zone_change_seq SET seq = seq + 1 RETURNING seq INTO NEW.change_seq;
	RETURN NEW;
END
$$;

CREATE TRIGGER zone_versions_number BEFORE INSERT OR UPDATE ON zone_versions
FOR EACH ROW EXECUTE FUNCTION zone_versions_number();

CREATE FUNCTION zone_versions_notify() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM pg_notify('lifeline_zone_changes', TG_TABLE_SCHEMA || ' ' || (SELECT seq FROM zone_change_seq));
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER zone_versions_notify AFTER INSERT OR UPDATE ON zone_versions
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION zone_versions_notify();

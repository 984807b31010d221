-- Publish every task event on the taskflow_task channel when its transaction commits,
-- so dashboards and event streams in any process follow tasks without polling.
-- Statement-level with a transition table: one NOTIFY per 50 events, not one per row
-- (a NOTIFY payload is capped at 8000 bytes).
CREATE FUNCTION taskflow_notify_task_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  FOR payload IN
    SELECT json_agg(json_build_object('id', e.task_id, 'status', e.status, 'attempt', e.attempt) ORDER BY e.id)::text
    FROM (SELECT n.*, (row_number() OVER (ORDER BY n.id) - 1) / 50 AS chunk FROM new_events n) e
    GROUP BY e.chunk
  LOOP
    PERFORM pg_notify('taskflow_task', payload);
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER task_events_notify AFTER INSERT ON task_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION taskflow_notify_task_events();

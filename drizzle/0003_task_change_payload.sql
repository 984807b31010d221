-- Each published transition also carries what the scheduler's metrics need, read from the
-- task row as the same statement left it: its queue, whether a schedule made it, and the
-- attempt's run time (completed, failed, or sent back for a retry) or dispatch lag (running),
-- each only while the row is still in that attempt and status. So no scheduler has to load
-- the changed rows to count them; it loads rows only for the dashboards and event streams
-- that show them.
-- Chunks of 25 keep a payload under NOTIFY's 8000 bytes whatever the queue name (≤ 64
-- characters, ~230 bytes an event at most), and go out in order.
CREATE OR REPLACE FUNCTION taskflow_notify_task_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  FOR payload IN
    SELECT json_agg(json_strip_nulls(json_build_object(
             'id', e.task_id, 'status', e.status, 'attempt', e.attempt, 'queue', e.queue,
             'schedule', e.schedule, 'duration', e.duration, 'lag', e.lag)) ORDER BY e.id)::text
    FROM (
      SELECT n.id, n.task_id, n.status, n.attempt, t.queue,
             CASE WHEN t.schedule_id IS NOT NULL THEN true END AS schedule,
             CASE
               WHEN t.attempt <> n.attempt OR t.started_at IS NULL THEN NULL
               WHEN n.status IN ('completed', 'failed') AND t.status = n.status AND t.finished_at IS NOT NULL
                 THEN extract(epoch FROM t.finished_at - t.started_at)
               -- A failed attempt sent back for a retry: the row keeps started_at, updated_at is the result's time.
               WHEN n.status = 'scheduled' AND n.attempt > 0 AND t.status = 'scheduled' AND t.finished_at IS NULL
                 THEN extract(epoch FROM t.updated_at - t.started_at)
             END AS duration,
             CASE
               WHEN n.status = 'running' AND t.attempt = n.attempt AND t.started_at IS NOT NULL AND t.status NOT IN ('picked', 'scheduled')
                 THEN extract(epoch FROM t.started_at - t.run_at)
             END AS lag,
             (row_number() OVER (ORDER BY n.id) - 1) / 25 AS chunk
      FROM new_events n LEFT JOIN tasks t ON t.id = n.task_id
    ) e
    GROUP BY e.chunk
    ORDER BY e.chunk
  LOOP
    PERFORM pg_notify('taskflow_task', payload);
  END LOOP;
  RETURN NULL;
END
$$;

-- The webhook outbox: deliveries are written by triggers in the same transaction as the
-- event they announce, so an event that commits is announced (at least once) and one
-- that rolls back never is, whichever code path wrote it. Filters run here, in SQL: a
-- delivery row exists only for a webhook that wants it. With no enabled webhook the
-- triggers return at once.

-- ISO-8601 UTC with milliseconds, the API's time format (Date.toISOString()).
CREATE FUNCTION taskflow_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
--> statement-breakpoint
-- A task as webhooks show it: the API's task fields, with env's names but not its values.
CREATE FUNCTION taskflow_webhook_task(t tasks) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', t.id, 'name', t.name, 'command', t.command,
    'env_keys', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb) FROM jsonb_object_keys(t.env) k),
    'queue', t.queue, 'priority', t.priority, 'run_at', taskflow_iso(t.run_at),
    'max_retries', t.max_retries, 'timeout_ms', t.timeout_ms, 'idempotency_key', t.idempotency_key,
    'status', t.status, 'attempt', t.attempt, 'worker', t.worker, 'schedule_id', t.schedule_id,
    'created_at', taskflow_iso(t.created_at), 'started_at', taskflow_iso(t.started_at),
    'finished_at', taskflow_iso(t.finished_at), 'exit_code', t.exit_code, 'error', t.error)
$$;
--> statement-breakpoint
-- Task events to webhook events:
--   completed / failed / cancelled          -> task.completed / task.failed / task.cancelled
--   back to scheduled after a failed attempt -> task.retrying (a user's retry clears worker_id: not one)
--   an attempt lost with its worker         -> task.lost (besides task.retrying or task.failed)
--   failed, made by a schedule              -> schedule.failed
--   completed, made by a schedule whose previous finished run failed -> schedule.recovered
-- Statement-level with a transition table, like the NOTIFY trigger: the statement's task rows
-- are read as it left them.
CREATE FUNCTION taskflow_webhook_task_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (webhook_id, event, payload)
  SELECT w.id, ev.event,
         jsonb_build_object('occurred_at', taskflow_iso(ev.at), 'attempt', ev.attempt, 'message', ev.message,
                            'task', taskflow_webhook_task(ev.t))
  FROM (
    SELECT n.id AS event_id, n.at, n.attempt, n.message, t, kind.event
    FROM new_events n
    JOIN tasks t ON t.id = n.task_id
    LEFT JOIN task_attempts a ON a.task_id = n.task_id AND a.attempt = n.attempt
    CROSS JOIN LATERAL (
      SELECT 'task.' || n.status AS event WHERE n.status IN ('completed', 'failed', 'cancelled')
      UNION ALL
      SELECT 'task.retrying' WHERE n.status = 'scheduled' AND n.attempt > 0 AND t.worker_id IS NOT NULL
      UNION ALL
      SELECT 'task.lost' WHERE a.status = 'lost' AND t.worker_id IS NOT NULL
        AND (n.status = 'failed' OR (n.status = 'scheduled' AND n.attempt > 0))
      UNION ALL
      SELECT 'schedule.failed' WHERE n.status = 'failed' AND t.schedule_id IS NOT NULL
      UNION ALL
      SELECT 'schedule.recovered' WHERE n.status = 'completed' AND t.schedule_id IS NOT NULL
        AND (SELECT p.status FROM tasks p
             WHERE p.schedule_id = t.schedule_id AND p.id <> t.id AND p.created_at <= t.created_at
               AND p.status IN ('completed', 'failed')
             ORDER BY p.created_at DESC, p.id DESC LIMIT 1) = 'failed'
    ) kind
    -- Only outcomes: a batch of new tasks (created, scheduled at attempt 0) reads no task row here.
    WHERE n.status IN ('completed', 'failed', 'cancelled') OR (n.status = 'scheduled' AND n.attempt > 0)
  ) ev
  JOIN webhooks w ON w.enabled AND ev.event = ANY (w.events)
    AND (w.queue IS NULL OR w.queue = (ev.t).queue)
    AND (w.name_prefix IS NULL OR starts_with((ev.t).name, w.name_prefix))
    AND (w.schedule_id IS NULL OR w.schedule_id = (ev.t).schedule_id)
  ORDER BY ev.event_id, ev.event, w.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER task_events_webhooks AFTER INSERT ON task_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION taskflow_webhook_task_events();
--> statement-breakpoint
-- worker.dead: a session declared dead (not one that left on purpose: stop_reason 'left').
CREATE FUNCTION taskflow_webhook_worker_dead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (webhook_id, event, payload)
  SELECT w.id, 'worker.dead',
         jsonb_build_object('occurred_at', taskflow_iso(coalesce(NEW.stopped_at, now())), 'worker', jsonb_build_object(
           'id', NEW.id, 'name', NEW.name, 'host', NEW.host, 'queues', to_jsonb(NEW.queues),
           'concurrency', NEW.concurrency, 'version', NEW.version, 'coordinator', NEW.coordinator,
           'started_at', taskflow_iso(NEW.started_at), 'last_heartbeat_at', taskflow_iso(NEW.last_heartbeat_at),
           'stopped_at', taskflow_iso(NEW.stopped_at)))
  FROM webhooks w
  WHERE w.enabled AND 'worker.dead' = ANY (w.events) AND w.schedule_id IS NULL
    AND (w.queue IS NULL OR w.queue = ANY (NEW.queues))
    AND (w.name_prefix IS NULL OR starts_with(NEW.name, w.name_prefix))
  ORDER BY w.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER workers_dead_webhooks AFTER UPDATE OF status ON workers
  FOR EACH ROW WHEN (OLD.status <> 'dead' AND NEW.status = 'dead' AND NEW.stop_reason IS DISTINCT FROM 'left')
  EXECUTE FUNCTION taskflow_webhook_worker_dead();

-- Webhooks show a task's retry budget as the dashboard does (core/attempt.ts:attemptText):
-- a manual retry starts a fresh budget at retry_base, so the task now carries retry_base
-- and manual_retries beside max_retries.
CREATE OR REPLACE FUNCTION taskflow_webhook_task(t tasks) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', t.id, 'name', t.name, 'command', t.command,
    'env_keys', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb) FROM jsonb_object_keys(t.env) k),
    'queue', t.queue, 'priority', t.priority, 'run_at', taskflow_iso(t.run_at),
    'max_retries', t.max_retries, 'retry_base', t.retry_base, 'manual_retries', t.manual_retries,
    'timeout_ms', t.timeout_ms, 'idempotency_key', t.idempotency_key,
    'status', t.status, 'attempt', t.attempt, 'worker', t.worker, 'schedule_id', t.schedule_id,
    'created_at', taskflow_iso(t.created_at), 'started_at', taskflow_iso(t.started_at),
    'finished_at', taskflow_iso(t.finished_at), 'exit_code', t.exit_code, 'error', t.error)
$$;

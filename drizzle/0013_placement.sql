DROP INDEX "tasks_due_idx";--> statement-breakpoint
DROP INDEX "tasks_next_run_idx";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "selector" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "pinned_worker" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "parent_id" uuid;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "fanout" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "fanout_retry" text DEFAULT 'same' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "labels" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "labels" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "tasks_selector_due_idx" ON "tasks" USING btree ("queue","selector","priority" DESC NULLS LAST,"run_at") WHERE status = 'scheduled' and concurrency_key is null and blocked_by = 0 and pinned_worker is null and selector is not null;--> statement-breakpoint
CREATE INDEX "tasks_pinned_due_idx" ON "tasks" USING btree ("pinned_worker","priority" DESC NULLS LAST,"run_at") WHERE status = 'scheduled' and concurrency_key is null and blocked_by = 0 and pinned_worker is not null;--> statement-breakpoint
CREATE INDEX "tasks_parent_idx" ON "tasks" USING btree ("parent_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE parent_id is not null;--> statement-breakpoint
CREATE INDEX "tasks_due_idx" ON "tasks" USING btree ("queue","priority" DESC NULLS LAST,"run_at") WHERE status = 'scheduled' and concurrency_key is null and blocked_by = 0 and selector is null and pinned_worker is null;--> statement-breakpoint
CREATE INDEX "tasks_next_run_idx" ON "tasks" USING btree ("run_at") WHERE status = 'scheduled' and concurrency_key is null and blocked_by = 0 and selector is null and pinned_worker is null;--> statement-breakpoint
-- A fanout parent (docs/placement.md) never runs itself: it is inserted scheduled with blocked_by = its
-- number of children, which keeps it out of every claim index, and follows them here: running once a
-- child is picked, and when the last child finishes, completed if all completed, else failed (any
-- failed) or cancelled. A child retried by hand counts as unfinished again (the parent keeps its end).
CREATE FUNCTION taskflow_fanout_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_done boolean := OLD.status IN ('completed', 'failed', 'cancelled');
  now_done boolean := NEW.status IN ('completed', 'failed', 'cancelled');
  remaining int;
  final text;
  total int;
  missed int;
BEGIN
  IF NEW.status IN ('picked', 'running') THEN
    WITH p AS (
      UPDATE tasks SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
      WHERE id = NEW.parent_id AND status = 'scheduled' RETURNING id
    )
    INSERT INTO task_events (task_id, attempt, status, message)
    SELECT id, 0, 'running', format('child %s picked by %s', NEW.id, NEW.worker) FROM p;
  ELSIF now_done AND NOT was_done THEN
    UPDATE tasks SET blocked_by = greatest(blocked_by - 1, 0), updated_at = now()
    WHERE id = NEW.parent_id RETURNING blocked_by INTO remaining;
    IF remaining = 0 THEN
      SELECT CASE WHEN bool_and(status = 'completed') THEN 'completed' WHEN bool_or(status = 'failed') THEN 'failed' ELSE 'cancelled' END,
             count(*), count(*) FILTER (WHERE status <> 'completed')
      INTO final, total, missed FROM tasks WHERE parent_id = NEW.parent_id;
      WITH p AS (
        UPDATE tasks SET status = final, finished_at = now(), updated_at = now(),
                         error = CASE WHEN missed > 0 THEN format('%s of %s children did not complete', missed, total) END
        WHERE id = NEW.parent_id AND status NOT IN ('completed', 'failed', 'cancelled') RETURNING id, error
      )
      INSERT INTO task_events (task_id, attempt, status, message) SELECT id, 0, final, error FROM p;
    END IF;
  ELSIF was_done AND NOT now_done THEN
    UPDATE tasks SET blocked_by = blocked_by + 1, updated_at = now() WHERE id = NEW.parent_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tasks_fanout_parent AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION taskflow_fanout_parent();
--> statement-breakpoint
-- fanout_retry = 'any': a pinned child going back to scheduled (a retry) drops its pin, so any worker its
-- selector matches may take it; 'same' keeps it for its own worker, which may come back.
CREATE FUNCTION taskflow_fanout_unpin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.pinned_worker := NULL;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tasks_fanout_unpin BEFORE UPDATE OF status ON tasks
  FOR EACH ROW WHEN (NEW.pinned_worker IS NOT NULL AND NEW.fanout_retry = 'any' AND NEW.status = 'scheduled' AND OLD.status <> 'scheduled')
  EXECUTE FUNCTION taskflow_fanout_unpin();

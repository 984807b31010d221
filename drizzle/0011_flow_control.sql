CREATE TABLE "schedule_ticks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"schedule_id" uuid NOT NULL,
	"due_at" timestamp (6) with time zone NOT NULL,
	"outcome" text NOT NULL,
	"task_id" uuid,
	"message" text,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "concurrency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"active" integer DEFAULT 0 NOT NULL,
	"waiting" integer DEFAULT 0 NOT NULL,
	"lim" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "queues" (
	"name" text PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"paused_at" timestamp (6) with time zone,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_dependencies" (
	"task_id" uuid NOT NULL,
	"depends_on" uuid NOT NULL,
	"done" boolean DEFAULT false NOT NULL,
	CONSTRAINT "task_dependencies_task_id_depends_on_pk" PRIMARY KEY("task_id","depends_on")
);
--> statement-breakpoint
DROP INDEX "tasks_due_idx";--> statement-breakpoint
DROP INDEX "tasks_next_run_idx";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "concurrency_key" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "concurrency_limit" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "blocked_by" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "on_dependency_failure" text DEFAULT 'cancel' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "has_dependents" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Schedules made before overlap existed keep running every tick (allow); new ones skip by default.
ALTER TABLE "schedules" ADD COLUMN "overlap" text DEFAULT 'allow' NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ALTER COLUMN "overlap" SET DEFAULT 'skip';--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "catch_up" text DEFAULT 'latest' NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "catch_up_max" integer DEFAULT 10 NOT NULL;--> statement-breakpoint
CREATE INDEX "schedule_ticks_schedule_idx" ON "schedule_ticks" USING btree ("schedule_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "concurrency_keys_free_idx" ON "concurrency_keys" USING btree ("key") WHERE waiting > 0 and active < lim;--> statement-breakpoint
CREATE INDEX "task_dependencies_depends_on_idx" ON "task_dependencies" USING btree ("depends_on") WHERE not done;--> statement-breakpoint
CREATE INDEX "tasks_keyed_due_idx" ON "tasks" USING btree ("concurrency_key","priority" DESC NULLS LAST,"run_at") WHERE status = 'scheduled' and concurrency_key is not null and blocked_by = 0;--> statement-breakpoint
CREATE INDEX "tasks_key_active_idx" ON "tasks" USING btree ("concurrency_key") WHERE status in ('picked', 'running') and concurrency_key is not null;--> statement-breakpoint
CREATE INDEX "tasks_schedule_live_idx" ON "tasks" USING btree ("schedule_id") WHERE schedule_id is not null and status in ('created', 'scheduled', 'picked', 'running');--> statement-breakpoint
CREATE INDEX "tasks_next_run_idx" ON "tasks" USING btree ("run_at") WHERE status = 'scheduled' and concurrency_key is null and blocked_by = 0;--> statement-breakpoint
CREATE INDEX "tasks_due_idx" ON "tasks" USING btree ("queue","priority" DESC NULLS LAST,"run_at") WHERE status = 'scheduled' and concurrency_key is null and blocked_by = 0;--> statement-breakpoint
-- New tasks, once per insert statement: every queue that has a task has a row (the claim takes
-- only queues whose row it can lock unpaused, which is what makes a pause exact), and keyed tasks
-- are counted on their key's row (docs/flow-control.md), in key order so concurrent inserts cannot
-- deadlock. A key's limit is the one of its latest insert (the largest, within one statement).
CREATE FUNCTION taskflow_tasks_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO queues (name) SELECT DISTINCT queue FROM new_tasks ON CONFLICT (name) DO NOTHING;
  INSERT INTO concurrency_keys AS c (key, active, waiting, lim)
  SELECT concurrency_key, count(*) FILTER (WHERE status IN ('picked', 'running')),
         count(*) FILTER (WHERE status IN ('created', 'scheduled')), max(concurrency_limit)
  FROM new_tasks WHERE concurrency_key IS NOT NULL
  GROUP BY concurrency_key ORDER BY concurrency_key
  ON CONFLICT (key) DO UPDATE SET active = c.active + excluded.active, waiting = c.waiting + excluded.waiting, lim = excluded.lim;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tasks_inserted AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS new_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION taskflow_tasks_inserted();
--> statement-breakpoint
INSERT INTO queues (name) SELECT DISTINCT queue FROM tasks ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint
-- concurrency_keys counts, per key, the tasks holding it (picked, running) and waiting for it
-- (created, scheduled), whoever moves the task: the claim, results, cancels, lost workers,
-- retries, deletes. Only keyed tasks fire it; the key never changes. Inserts are counted per
-- statement, above.
CREATE FUNCTION taskflow_count_concurrency_key() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d_active int := -(OLD.status IN ('picked', 'running'))::int;
  d_waiting int := -(OLD.status IN ('created', 'scheduled'))::int;
  still_waiting int;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    d_active := d_active + (NEW.status IN ('picked', 'running'))::int;
    d_waiting := d_waiting + (NEW.status IN ('created', 'scheduled'))::int;
  END IF;
  IF d_active = 0 AND d_waiting = 0 THEN RETURN NULL; END IF;
  INSERT INTO concurrency_keys AS c (key, active, waiting, lim)
  VALUES (OLD.concurrency_key, greatest(d_active, 0), greatest(d_waiting, 0), 1)
  ON CONFLICT (key) DO UPDATE SET active = c.active + d_active, waiting = c.waiting + d_waiting
  RETURNING waiting INTO still_waiting;
  -- A slot came free and tasks wait for it: coordinators claim now rather than at their next poll.
  IF d_active < 0 AND still_waiting > 0 THEN PERFORM pg_notify('taskflow_wake', json_build_array(OLD.queue)::text); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tasks_key_update AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (OLD.concurrency_key IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION taskflow_count_concurrency_key();
--> statement-breakpoint
CREATE TRIGGER tasks_key_delete AFTER DELETE ON tasks
  FOR EACH ROW WHEN (OLD.concurrency_key IS NOT NULL AND OLD.status IN ('created', 'scheduled', 'picked', 'running'))
  EXECUTE FUNCTION taskflow_count_concurrency_key();
--> statement-breakpoint
-- Run-after: when a task finishes (completed, failed, cancelled) its dependents learn it in the
-- same transaction. A failed or cancelled dependency cancels a dependent that asked for cancel
-- (which finishes it, so this runs again for its own dependents); otherwise the dependent's
-- blocked_by drops, and at 0 it is claimable at once: an event and a wake-up for its queue.
-- Each edge counts once (done), so a dependency retried and finished again releases nothing twice.
-- Only tasks marked has_dependents fire it: other tasks finish at no extra cost.
CREATE FUNCTION taskflow_release_dependents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  failed boolean := NEW.status IN ('failed', 'cancelled');
  why text := format('dependency %s %s', NEW.id, NEW.status);
  woke text;
BEGIN
  WITH edges AS (
    UPDATE task_dependencies SET done = true WHERE depends_on = NEW.id AND NOT done RETURNING task_id
  ), cancelled AS (
    UPDATE tasks t SET status = 'cancelled', blocked_by = greatest(t.blocked_by - 1, 0), finished_at = now(),
                       error = why, updated_at = now()
    FROM edges e
    WHERE failed AND t.id = e.task_id AND t.on_dependency_failure = 'cancel' AND t.status IN ('created', 'scheduled')
    RETURNING t.id, t.attempt
  ), released AS (
    UPDATE tasks t SET blocked_by = greatest(t.blocked_by - 1, 0), updated_at = now()
    FROM edges e
    WHERE t.id = e.task_id AND NOT (failed AND t.on_dependency_failure = 'cancel' AND t.status IN ('created', 'scheduled'))
    RETURNING t.id, t.attempt, t.blocked_by, t.status, t.queue
  ), events AS (
    INSERT INTO task_events (task_id, attempt, status, message)
    SELECT id, attempt, 'cancelled', why FROM cancelled
    UNION ALL
    SELECT id, attempt, 'scheduled', 'dependencies finished' FROM released WHERE blocked_by = 0 AND status = 'scheduled'
  )
  SELECT pg_notify('taskflow_wake', json_agg(DISTINCT queue)::text)
  FROM released WHERE blocked_by = 0 AND status = 'scheduled'
  HAVING count(*) > 0
  INTO woke;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tasks_release_dependents AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (NEW.has_dependents AND NEW.status IN ('completed', 'failed', 'cancelled') AND OLD.status NOT IN ('completed', 'failed', 'cancelled'))
  EXECUTE FUNCTION taskflow_release_dependents();

CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"command" text NOT NULL,
	"env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"queue" text DEFAULT 'default' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"run_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"backoff_ms" bigint DEFAULT 1000 NOT NULL,
	"backoff_factor" double precision DEFAULT 2 NOT NULL,
	"backoff_max_ms" bigint DEFAULT 3600000 NOT NULL,
	"timeout_ms" bigint,
	"idempotency_key" text,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"worker_id" uuid,
	"worker" text,
	"schedule_id" uuid,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"picked_at" timestamp (6) with time zone,
	"started_at" timestamp (6) with time zone,
	"finished_at" timestamp (6) with time zone,
	"exit_code" integer,
	"error" text,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_attempts" (
	"task_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"worker_id" uuid,
	"worker" text,
	"status" text NOT NULL,
	"picked_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (6) with time zone,
	"finished_at" timestamp (6) with time zone,
	"exit_code" integer,
	"error" text,
	"stdout_tail" text,
	"stderr_tail" text,
	CONSTRAINT "task_attempts_task_id_attempt_pk" PRIMARY KEY("task_id","attempt")
);
--> statement-breakpoint
CREATE TABLE "task_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" uuid NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"worker" text,
	"message" text
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer,
	"status" text NOT NULL,
	"queues" text[] NOT NULL,
	"concurrency" integer NOT NULL,
	"running" integer DEFAULT 0 NOT NULL,
	"version" text NOT NULL,
	"coordinator" text,
	"started_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp (6) with time zone
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"template" jsonb NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"next_run_at" timestamp (6) with time zone,
	"last_run_at" timestamp (6) with time zone,
	"last_task_id" uuid,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_attempts" ADD CONSTRAINT "task_attempts_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tasks_due_idx" ON "tasks" USING btree ("queue","priority" DESC NULLS LAST,"run_at") WHERE status = 'scheduled';--> statement-breakpoint
CREATE INDEX "tasks_next_run_idx" ON "tasks" USING btree ("run_at") WHERE status = 'scheduled';--> statement-breakpoint
CREATE INDEX "tasks_active_worker_idx" ON "tasks" USING btree ("worker_id") WHERE status in ('picked', 'running');--> statement-breakpoint
CREATE INDEX "tasks_created_idx" ON "tasks" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "tasks_status_created_idx" ON "tasks" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "tasks_schedule_created_idx" ON "tasks" USING btree ("schedule_id","created_at" DESC NULLS LAST) WHERE schedule_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_idempotency_key_idx" ON "tasks" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "task_events_task_idx" ON "task_events" USING btree ("task_id","id");--> statement-breakpoint
CREATE INDEX "workers_status_idx" ON "workers" USING btree ("status","last_heartbeat_at");--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "schedules" USING btree ("next_run_at") WHERE not paused;
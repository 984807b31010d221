CREATE TABLE "prune_totals" (
	"table_name" text PRIMARY KEY NOT NULL,
	"removed" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "last_task_status" text;--> statement-breakpoint
CREATE INDEX "workers_dead_stopped_idx" ON "workers" USING btree ("stopped_at") WHERE status = 'dead';
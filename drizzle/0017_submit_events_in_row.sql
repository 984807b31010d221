-- Who submitted a task, and whether its created/scheduled events are read from the row instead of
-- stored in task_events (insert-tasks.ts). The constant default makes the column without rewriting the table;
-- existing rows keep their stored events.
ALTER TABLE "tasks" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "submit_events_in_row" boolean DEFAULT false NOT NULL;
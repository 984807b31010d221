ALTER TABLE "tasks" ADD COLUMN "retry_base" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "manual_retries" integer DEFAULT 0 NOT NULL;
-- The list indexes oldest first (src/db/schema/tasks.ts, newestLast): scanned backwards they give the lists'
-- newest first as before, and new rows append at their right edge instead of splitting their left edge's
-- pages in half (the indexes were ~1.8x the size, and a bulk insert wrote and split pages accordingly).
DROP INDEX "tasks_parent_idx";--> statement-breakpoint
DROP INDEX "tasks_created_idx";--> statement-breakpoint
DROP INDEX "tasks_status_created_idx";--> statement-breakpoint
DROP INDEX "tasks_schedule_created_idx";--> statement-breakpoint
CREATE INDEX "tasks_parent_idx" ON "tasks" USING btree ("parent_id","created_at" NULLS FIRST,"seq" NULLS FIRST) WHERE parent_id is not null;--> statement-breakpoint
CREATE INDEX "tasks_created_idx" ON "tasks" USING btree ("created_at" NULLS FIRST,"seq" NULLS FIRST);--> statement-breakpoint
CREATE INDEX "tasks_status_created_idx" ON "tasks" USING btree ("status","created_at" NULLS FIRST,"seq" NULLS FIRST);--> statement-breakpoint
CREATE INDEX "tasks_schedule_created_idx" ON "tasks" USING btree ("schedule_id","created_at" NULLS FIRST,"seq" NULLS FIRST) WHERE schedule_id is not null;
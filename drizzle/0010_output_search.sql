-- GET /api/tasks?output=TEXT: finds tasks by their attempts' output tails (the last
-- 64 KiB of stdout and stderr) with a trigram index, so a substring search stays fast
-- with a million tasks. pg_trgm is a trusted extension (PostgreSQL 13+); PGlite loads it
-- (src/db/client.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "task_attempts_output_trgm_idx" ON "task_attempts" USING gin ((coalesce("stdout_tail", '') || ' ' || coalesce("stderr_tail", '')) gin_trgm_ops);

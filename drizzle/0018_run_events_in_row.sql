-- How many of an attempt's run-path events (picked, running) are read from its row instead of stored in
-- task_events (queries/run-events.ts). The constant default makes the column without rewriting the table;
-- existing attempts keep their stored events.
ALTER TABLE "task_attempts" ADD COLUMN "derived_events" smallint DEFAULT 0 NOT NULL;

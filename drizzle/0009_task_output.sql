CREATE TABLE "task_output_chunks" (
	"task_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"stream" text NOT NULL,
	"offset" bigint NOT NULL,
	"pos" bigint NOT NULL,
	"length" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "task_output_chunks_task_id_attempt_stream_offset_pk" PRIMARY KEY("task_id","attempt","stream","offset")
);
--> statement-breakpoint
ALTER TABLE "task_attempts" ADD COLUMN "output_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_output_chunks" ADD CONSTRAINT "task_output_chunks_task_id_attempt_task_attempts_task_id_attempt_fk" FOREIGN KEY ("task_id","attempt") REFERENCES "public"."task_attempts"("task_id","attempt") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_output_chunks_pos_idx" ON "task_output_chunks" USING btree ("task_id","attempt","pos");
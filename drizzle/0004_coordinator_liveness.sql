CREATE TABLE "coordinators" (
	"id" uuid PRIMARY KEY NOT NULL,
	"address" text NOT NULL,
	"started_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"recording_since" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp (6) with time zone
);
--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "coordinator_id" uuid;
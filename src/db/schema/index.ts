/** The whole database schema, one table per file. */
export * from "./tasks.ts";
export * from "./task-attempts.ts";
export * from "./task-events.ts";
export * from "./workers.ts";
export * from "./coordinators.ts";
export * from "./schedules.ts";
export * from "./prune-totals.ts";
export * from "./dashboard-sessions.ts";
export * from "./webhooks.ts";
export * from "./webhook-deliveries.ts";
export * from "./webhook-delivery-attempts.ts";
export * from "./task-output-chunks.ts";
export * from "./flow-control.ts";

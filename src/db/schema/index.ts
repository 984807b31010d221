/** The whole database schema, one table per file. */
export * from "./tasks.ts";
export * from "./task-attempts.ts";
export * from "./task-events.ts";
export * from "./workers.ts";
export * from "./schedules.ts";
export * from "./flow-control.ts";

/**
 * Long-lived pieces are Services: start() then stop(), stop() safe before start()
 * and twice. `Lifecycle` starts them in order and stops them in reverse under a
 * deadline, logging each step (the Hatchet shape).
 */
import { coerceError } from "./errors.ts";
import type { Logger } from "../log/logger.ts";

export interface Service {
  /** Shown in logs. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Lifecycle {
  private started: Service[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  /** Starts each service in order; if one fails, stops those already started and rethrows. */
  async start(services: Service[]): Promise<void> {
    for (const s of services) {
      try {
        await s.start();
      } catch (err) {
        await this.stop(5000);
        throw err;
      }
      this.started.push(s);
      this.log.debug("started {service}", { service: s.name });
    }
  }

  /** Stops started services in reverse order; gives up on the rest after `deadlineMs`. */
  stop(deadlineMs: number): Promise<void> {
    this.stopping ??= this.stopAll(deadlineMs);
    return this.stopping;
  }

  private async stopAll(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (const s of [...this.started].reverse()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.log.warn("shutdown deadline passed; not waiting for {service}", { service: s.name });
        continue;
      }
      let timer: Timer | undefined;
      const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), left)));
      try {
        const result = await Promise.race([s.stop().then(() => "ok" as const), timedOut]);
        if (result === "timeout") this.log.warn("{service} did not stop before the deadline", { service: s.name });
        else this.log.debug("stopped {service}", { service: s.name });
      } catch (err) {
        this.log.error("stopping {service} failed: {error}", { service: s.name, error: coerceError(err).message });
      } finally {
        clearTimeout(timer);
      }
    }
    this.started = [];
  }
}

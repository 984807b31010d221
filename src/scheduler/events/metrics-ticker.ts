/**
 * One timer for the `metrics` events of every open stream: each tick reads the
 * metrics once and hands the same JSON to all subscribers, so a hundred open
 * streams cost what one does. The timer runs only while someone listens.
 */
import { coerceError } from "../../core/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { MetricsJson } from "../metrics/metrics-json.ts";

/** How often open streams get a `metrics` event. */
export const METRICS_EVENT_MS = 5000;

export class MetricsTicker {
  private readonly listeners = new Set<(m: MetricsJson) => void>();
  private timer: Timer | null = null;

  constructor(
    private readonly read: () => Promise<MetricsJson>,
    private readonly log: Logger,
    private readonly intervalMs = METRICS_EVENT_MS,
  ) {}

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Calls `listener` with fresh metrics every interval; returns the unsubscribe function. */
  subscribe(listener: (m: MetricsJson) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      // Never what keeps a process (or a test run) alive.
      this.timer.unref?.();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  async tick(): Promise<void> {
    if (this.listeners.size === 0) return;
    let json: MetricsJson;
    try {
      json = await this.read();
    } catch (err) {
      this.log.warn("metrics for the event stream failed: {error}", { error: coerceError(err).message });
      return;
    }
    for (const l of this.listeners) l(json);
  }
}

/**
 * Overview panel: tasks completed and failed per minute over the last hour, as a
 * server-rendered SVG bar chart (stacked: completed below, failed above). The SVG
 * only draws and stretches to the panel; the scale and time labels are HTML so
 * they keep their size on any screen. Each bar has a tooltip, and the summary
 * says the same for screen readers.
 */
import type { MinuteCount } from "../../src/db/queries/throughput-per-minute.ts";
import { formatCount } from "../format.ts";

/** Drawing units: one bar slot is 10 wide, the plot 100 high. */
const SLOT = 10;
const HEIGHT = 100;

export function ThroughputChart({ minutes }: { minutes: MinuteCount[] }) {
  const completed = minutes.reduce((a, m) => a + m.completed, 0);
  const failed = minutes.reduce((a, m) => a + m.failed, 0);
  const max = niceMax(Math.max(0, ...minutes.map((m) => m.completed + m.failed)));
  const width = SLOT * Math.max(1, minutes.length);
  const h = (n: number) => (n / max) * HEIGHT;
  const summary = `${formatCount(completed)} completed and ${formatCount(failed)} failed in the last ${minutes.length} minutes`;
  return (
    <figure class="chart">
      <div class="chart-body">
        <div class="chart-y" aria-hidden="true">
          <span safe>{formatCount(max)}</span>
          <span safe>{formatCount(max / 2)}</span>
          <span>0</span>
        </div>
        <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary}>
          {[0, HEIGHT / 2, HEIGHT].map((y) => (
            <line class="gridline" x1="0" x2={width} y1={y} y2={y} vector-effect="non-scaling-stroke" />
          ))}
          {minutes.map((m, i) => {
            const x = i * SLOT + 1;
            const label = `${m.minute.toISOString().slice(11, 16)} UTC: ${m.completed} completed, ${m.failed} failed`;
            return (
              <g class="bar">
                <title safe>{label}</title>
                <rect x={x} y="0" width={SLOT - 2} height={HEIGHT} class="bar-hit" />
                {m.completed > 0 && <rect x={x} y={HEIGHT - h(m.completed)} width={SLOT - 2} height={h(m.completed)} class="bar-completed" />}
                {m.failed > 0 && <rect x={x} y={HEIGHT - h(m.completed + m.failed)} width={SLOT - 2} height={h(m.failed)} class="bar-failed" />}
              </g>
            );
          })}
        </svg>
        <span></span>
        <div class="chart-x" aria-hidden="true">
          <span safe>{`−${minutes.length} min`}</span>
          <span safe>{`−${Math.round(minutes.length / 2)} min`}</span>
          <span>now</span>
        </div>
      </div>
      <figcaption>
        <span class="legend legend-completed" safe>{`completed ${formatCount(completed)}`}</span>
        <span class="legend legend-failed" safe>{`failed ${formatCount(failed)}`}</span>
        <span class="muted">per minute, last hour</span>
      </figcaption>
    </figure>
  );
}

/**
 * A round, even scale top at or above `n` (1, 2, 4, 6 or 8 × 10^k), so the halfway line is a whole number.
 *
 * @example niceMax(7) // 8
 * @example niceMax(130) // 200
 */
export function niceMax(n: number): number {
  if (n <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const f of [1, 2, 4, 6, 8, 10]) if (f * p >= n) return f * p;
  return 10 * p;
}

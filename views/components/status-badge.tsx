/**
 * Status badges: one colour per status everywhere (task, worker and schedule
 * states), always with the status as text, never colour alone.
 */

/** Statuses with a colour of their own; anything else gets the neutral style. */
const KNOWN = new Set([
  "created", "scheduled", "picked", "running", "completed", "failed", "cancelled", "retrying", "lost",
  "alive", "draining", "dead",
  "active", "paused",
  "pending", "delivered", "enabled", "disabled",
]);

export function StatusBadge({ status }: { status: string }) {
  const kind = KNOWN.has(status) ? status : "other";
  return (
    <span class={`badge badge-${kind}`} safe>
      {status}
    </span>
  );
}

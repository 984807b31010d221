/** Labels or a selector as small `key=value` chips, keys sorted (docs/placement.md). */
export function LabelList({ labels, empty = "—" }: { labels: Record<string, string> | null; empty?: string }) {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return <span class="muted" safe>{empty}</span>;
  return (
    <span class="labels">
      {keys.map((k) => (
        <span class="label" safe>
          {`${k}=${labels![k]}`}
        </span>
      ))}
    </span>
  );
}

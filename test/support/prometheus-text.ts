/**
 * A strict parser of the Prometheus text exposition format (0.0.4) for tests:
 * it throws on anything a Prometheus server would reject or that breaks the
 * conventions taskflow promises (metric and label names, escapes, one TYPE per
 * family before its samples, families not interleaved, no duplicate series,
 * histogram buckets cumulative and ending in +Inf = _count, counters named _total).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seriesSeen = new Set<string>();
  const closed = new Set<string>();
  let current: string | null = null;
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("the exposition must end with a line feed");
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      const family = families.get(name) ?? { name, type: "untyped" as Family["type"], help: "", samples: [] };
      if (family.samples.length > 0) throw new Error(`${kind} after samples of ${name}, ${where}`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`unknown type, ${where}`);
        if (families.has(name) && family.type !== "untyped") throw new Error(`second TYPE for ${name}, ${where}`);
        family.type = rest as Family["type"];
      } else {
        if (/\\[^\\n]/.test(rest)) throw new Error(`bad escape in HELP, ${where}`);
        family.help = rest;
      }
      families.set(name, family);
      return;
    }
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families);
    if (!family) throw new Error(`sample without a TYPE, ${where}`);
    if (current !== family.name) {
      if (closed.has(family.name)) throw new Error(`samples of ${family.name} are not together, ${where}`);
      if (current) closed.add(current);
      current = family.name;
    }
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seriesSeen.has(key)) throw new Error(`duplicate series, ${where}`);
    seriesSeen.add(key);
    family.samples.push(sample);
  });
  for (const f of families.values()) checkFamily(f);
  return families;
}

function parseSample(line: string, where: string): Sample {
  const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/);
  if (!m) throw new Error(`bad sample, ${where}`);
  const labels: Record<string, string> = {};
  if (m[2]) {
    let rest = m[2].slice(1, -1);
    while (rest.length > 0) {
      const l = rest.match(/^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/);
      if (!l || !LABEL_NAME.test(l[1]!)) throw new Error(`bad label, ${where}`);
      if (l[1]! in labels) throw new Error(`repeated label ${l[1]}, ${where}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
      rest = rest.slice(l[0].length);
    }
  }
  const raw = m[3]!;
  const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : raw === "NaN" ? NaN : Number(raw);
  if (Number.isNaN(value) && raw !== "NaN") throw new Error(`bad value, ${where}`);
  return { name: m[1]!, labels, value };
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || f.type === "summary")) return f;
  }
  return undefined;
}

function checkFamily(f: Family): void {
  if (f.type === "counter") {
    if (!f.name.endsWith("_total")) throw new Error(`counter ${f.name} is not named *_total`);
    for (const s of f.samples) if (!(s.value >= 0)) throw new Error(`counter ${f.name} has value ${s.value}`);
  }
  if (f.type !== "histogram") return;
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (!count || !samples.some((s) => s.name === `${f.name}_sum`)) throw new Error(`histogram ${f.name}${key} lacks _sum or _count`);
    if (buckets.some((b) => b.labels.le === undefined)) throw new Error(`histogram ${f.name} bucket without le`);
    const les = buckets.map((b) => (b.labels.le === "+Inf" ? Infinity : Number(b.labels.le)));
    if (les.at(-1) !== Infinity) throw new Error(`histogram ${f.name}${key} does not end with le="+Inf"`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(les[i]! > les[i - 1]!)) throw new Error(`histogram ${f.name} le not increasing`);
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`histogram ${f.name} buckets not cumulative`);
    }
    if (buckets.at(-1)!.value !== count.value) throw new Error(`histogram ${f.name}${key}: +Inf bucket ≠ _count`);
  }
}

/** The value of one series, or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}

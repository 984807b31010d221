/**
 * The operations kit in deploy/: every alert rule and every Grafana panel reads only
 * metrics taskflow exports (so a renamed metric breaks this test, not a 3 a.m. page),
 * the alerts the docs promise exist, and promtool checks the rules and runs their unit
 * tests (deploy/prometheus/alerts.test.yml).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findProgram, systemToolAvailable } from "../support/system-tools.ts";
import { exportedMetricNames, metricNamesIn } from "./promql-metrics.ts";

const ROOT = join(import.meta.dir, "../..");
const RULES_DIR = join(ROOT, "deploy/prometheus");
const exported = exportedMetricNames();

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules: Rule[] = (Bun.YAML.parse(readFileSync(join(RULES_DIR, "alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe("alert rules", () => {
  test("metricNamesIn finds the metrics and only them", () => {
    expect(metricNamesIn('max by (queue) (rate(taskflow_tasks_failed_total{queue="a b"}[5m])) / on (queue) sum(x_total offset 5m) > 0.1 and bool up')).toEqual([
      "taskflow_tasks_failed_total", "x_total", "up",
    ]);
  });

  test("cover what the docs promise: failures, queue lag, no worker for a queue, worker deaths, webhooks, database", () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      "TaskflowDatabaseDown", "TaskflowNoWorkerForQueue", "TaskflowQueueLagHigh", "TaskflowTasksFailing", "TaskflowWebhookDeliveriesFailing", "TaskflowWorkersDying",
    ]);
  });

  test.each(rules.map((r) => [r.alert, r] as const))("%s reads only exported metrics, and says what and how bad", (_name, rule) => {
    const names = metricNamesIn(rule.expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
    expect(["warning", "critical"]).toContain(rule.labels?.severity ?? "none");
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.description).toBeTruthy();
  });

  const promtool = findProgram("promtool");
  const hasPromtool = systemToolAvailable("promtool", promtool !== null, "Debian's prometheus package; .ci/run extracts promtool from it");
  test.if(hasPromtool)("promtool check rules, and the rules' unit tests pass", () => {
    const check = Bun.spawnSync([promtool!, "check", "rules", "alerts.yml"], { cwd: RULES_DIR });
    expect({ code: check.exitCode, out: check.stdout.toString() + check.stderr.toString() }).toMatchObject({ code: 0, out: expect.stringContaining("SUCCESS: 6 rules found") });
    const unit = Bun.spawnSync([promtool!, "test", "rules", "alerts.test.yml"], { cwd: RULES_DIR });
    expect({ code: unit.exitCode, out: unit.stdout.toString() + unit.stderr.toString() }).toMatchObject({ code: 0, out: expect.stringContaining("SUCCESS") });
  });
});

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string; datasource?: { uid: string } }[];
}

describe("Grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(join(ROOT, "deploy/grafana/taskflow-dashboard.json"), "utf8")) as {
    uid: string;
    title: string;
    templating: { list: { name: string; type: string; query: string }[] };
    panels: Panel[];
  };

  test("loads as a dashboard with a Prometheus data source variable that every panel uses", () => {
    expect(dashboard.uid).toBe("taskflow-overview");
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    for (const p of dashboard.panels) {
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: "${datasource}" });
      expect(p.targets.length).toBeGreaterThan(0);
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  test("panels sit on the 24-column grid without overlapping", () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        expect({ cell: `${i},${j}`, taken: cells.has(`${i},${j}`), panel: p.title }).toMatchObject({ taken: false });
        cells.add(`${i},${j}`);
      }
    }
  });

  test("each panel's queries name only metrics taskflow exports", () => {
    for (const p of dashboard.panels) {
      for (const t of p.targets) {
        const names = metricNamesIn(t.expr);
        expect({ panel: p.title, expr: t.expr, names: names.length > 0 }).toEqual({ panel: p.title, expr: t.expr, names: true });
        expect({ panel: p.title, unknown: names.filter((n) => !exported.has(n)) }).toEqual({ panel: p.title, unknown: [] });
      }
    }
  });

  test("shows throughput by queue and status, dispatch lag p50/p99, run time, workers alive and queue lag", () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    for (const counter of ["completed", "failed", "cancelled"]) expect(exprs).toContain(`max by (queue) (rate(taskflow_tasks_${counter}_total`);
    expect(exprs).toContain("histogram_quantile(0.5, max by (le) (rate(taskflow_dispatch_lag_seconds_bucket");
    expect(exprs).toContain("histogram_quantile(0.99, max by (le) (rate(taskflow_dispatch_lag_seconds_bucket");
    expect(exprs).toContain("taskflow_attempt_duration_seconds_bucket");
    expect(exprs).toContain('taskflow_workers{status="alive"}');
    expect(exprs).toContain("max by (queue) (taskflow_queue_lag_seconds)");
  });
});

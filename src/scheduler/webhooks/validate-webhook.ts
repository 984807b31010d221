/**
 * Validates webhook bodies without any HTTP, so the API and the dashboard share it.
 * Every bad field is named. The URL is checked against the outbound address rules
 * here, at creation, so a webhook to 127.0.0.1 is refused with 422 before anything
 * is stored; the sender checks again at each send (DNS can change).
 */
import type { FieldProblem } from "../../core/errors.ts";
import { outboundUrlProblem, type Resolve, resolveAll } from "../../core/outbound-address.ts";
import { isWebhookEvent, WEBHOOK_FORMATS, type WebhookEvent, type WebhookFormat } from "../../core/webhook-events.ts";
import type { NewWebhook } from "../../db/queries/insert-webhook.ts";
import type { WebhookPatch } from "../../db/queries/update-webhook.ts";
import type { Checked } from "../tasks/validate-task.ts";
import * as m from "./model.ts";

const KNOWN_FIELDS = Object.keys(m.NewWebhookBody.properties);
const FILTER_FIELDS = ["queue", "name_prefix", "schedule_id"];
const QUEUE = /^[a-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AddressRules {
  allowPrivate: boolean;
  resolve?: Resolve;
}

/**
 * @example await validateNewWebhook({ url: "https://hooks.slack.com/services/T/B/X", events: ["task.failed"], format: "slack" }, { allowPrivate: false })
 * @example await validateNewWebhook({ url: "http://127.0.0.1/", events: ["nope"] }, { allowPrivate: false }) // problems at /url and /events/0
 */
export async function validateNewWebhook(body: unknown, rules: AddressRules): Promise<Checked<NewWebhook>> {
  const r = await check(body, false, rules);
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    value: {
      url: v.url!, events: v.events!, queue: v.queue ?? null, namePrefix: v.namePrefix ?? null, scheduleId: v.scheduleId ?? null,
      secret: v.secret ?? null, format: v.format ?? "json", enabled: v.enabled ?? true,
    },
  };
}

/** A PATCH body: any subset of the fields; a given `filter` replaces the whole filter. */
export function validateWebhookPatch(body: unknown, rules: AddressRules): Promise<Checked<WebhookPatch>> {
  return check(body, true, rules);
}

async function check(body: unknown, partial: boolean, rules: AddressRules): Promise<Checked<WebhookPatch>> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, problems: [{ path: "/", message: "must be a JSON object" }] };
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  for (const key of Object.keys(b)) {
    if (!KNOWN_FIELDS.includes(key)) report(`/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`, m.WEBHOOK_READ_ONLY_FIELDS.includes(key) ? "is read-only" : "unknown field");
  }
  const given = (f: string) => b[f] !== undefined;
  const required = (f: string) => {
    if (!partial && !given(f)) report(`/${f}`, "is required");
    return given(f);
  };
  const out: WebhookPatch = {};
  if (required("url")) {
    if (typeof b.url !== "string" || b.url.length > m.URL_MAX_CHARS) report("/url", m.WEBHOOK_FIELD_RULES.url);
    else {
      const problem = await outboundUrlProblem(b.url, rules.allowPrivate, rules.resolve ?? resolveAll);
      if (problem) report("/url", problem);
      else out.url = b.url;
    }
  }
  if (required("events")) {
    const events = b.events;
    if (!Array.isArray(events) || events.length === 0) report("/events", m.WEBHOOK_FIELD_RULES.events);
    else {
      events.forEach((e, i) => {
        if (!isWebhookEvent(e)) report(`/events/${i}`, m.WEBHOOK_FIELD_RULES.events);
        else if (events.indexOf(e) !== i) report(`/events/${i}`, `repeats ${e}`);
      });
      out.events = events as WebhookEvent[];
    }
  }
  if (given("filter")) checkFilter(b.filter, out, report);
  else if (!partial) Object.assign(out, { queue: null, namePrefix: null, scheduleId: null });
  if (given("secret")) {
    const s = b.secret;
    if (s !== null && (typeof s !== "string" || s.length === 0 || s.length > m.SECRET_MAX_CHARS)) report("/secret", m.WEBHOOK_FIELD_RULES.secret);
    else out.secret = s as string | null;
  }
  if (given("format")) {
    if (!(WEBHOOK_FORMATS as readonly unknown[]).includes(b.format)) report("/format", m.WEBHOOK_FIELD_RULES.format);
    else out.format = b.format as WebhookFormat;
  }
  if (given("enabled")) {
    if (typeof b.enabled !== "boolean") report("/enabled", m.WEBHOOK_FIELD_RULES.enabled);
    else out.enabled = b.enabled;
  }
  return problems.length === 0 ? { ok: true, value: out } : { ok: false, problems };
}

function checkFilter(filter: unknown, out: WebhookPatch, report: (path: string, message: string) => void): void {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) return report("/filter", m.WEBHOOK_FIELD_RULES.filter);
  const f = filter as Record<string, unknown>;
  for (const key of Object.keys(f)) if (!FILTER_FIELDS.includes(key)) report(`/filter/${key}`, "unknown field");
  const q = f.queue ?? null;
  if (q !== null && (typeof q !== "string" || !QUEUE.test(q))) report("/filter/queue", "must be a queue name of 1–64 characters [a-z0-9_-], or null");
  const p = f.name_prefix ?? null;
  if (p !== null && (typeof p !== "string" || p.length === 0 || p.length > m.NAME_PREFIX_MAX_CHARS)) {
    report("/filter/name_prefix", `must be a string of 1 to ${m.NAME_PREFIX_MAX_CHARS} characters, or null`);
  }
  const s = f.schedule_id ?? null;
  if (s !== null && (typeof s !== "string" || !UUID.test(s))) report("/filter/schedule_id", "must be a schedule id (a UUID), or null");
  Object.assign(out, { queue: q, namePrefix: p, scheduleId: typeof s === "string" ? s.toLowerCase() : null });
}

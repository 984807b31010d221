/**
 * The new-schedule form: name, cron expression, time zone and the task
 * template's main fields (the rest take the task API's defaults). It is checked
 * by the schedule API's own validation; a refused submit comes back with each
 * error beside its field and the values kept. `novalidate`: the server's rules
 * are the one source. Textareas start with a newline because HTML drops the
 * first one of their content.
 */
import { describedBy, formControls, FormErrors, FormField } from "../components/form-field.tsx";
import { Layout, type PageChrome } from "../layout.tsx";
import type { NewScheduleFormErrors, NewScheduleFormValues } from "../../src/scheduler/dashboard/schedule-form.ts";
import type { CatchUp, Overlap } from "../../src/core/schedule-policy.ts";
import type { ScheduleTickRow } from "../../src/db/schema/index.ts";
import { RelativeTime } from "../components/time.tsx";
import { CRON_ACCEPTED } from "../../src/core/cron.ts";

/** Fields in the order the form shows them. */
const FIELD_ORDER: (keyof NewScheduleFormValues)[] = ["name", "cron", "timezone", "overlap", "catch_up", "catch_up_max", "command", "queue", "priority", "max_retries", "timeout_ms", "env"];

const OVERLAP_LABELS: Record<Overlap, string> = {
  skip: "skip: make no task while the last run is live",
  queue_one: "queue one: at most one run waits behind the live one",
  replace: "replace: cancel the live run (kill it) and start the new one",
  allow: "allow: start every run, live ones or not",
};
const CATCH_UP_LABELS: Record<CatchUp, string> = {
  latest: "latest: run the last missed due time",
  none: "none: run none (a due time over 60 s late is missed)",
  all: "all: run missed due times one after another, up to the maximum",
};

/** Editing an existing schedule: where the form posts, and its history. */
export interface ScheduleEditing {
  id: string;
  ticks: ScheduleTickRow[];
}

/** Suggestions for the cron field (a datalist: any expression may still be typed). */
const CRON_EXAMPLES: [string, string][] = [
  ["*/10 * * * * *", "every 10 seconds"],
  ["*/5 * * * *", "every 5 minutes"],
  ["0 * * * *", "every hour"],
  ["0 3 * * *", "every day at 03:00"],
  ["0 9 * * MON-FRI", "weekdays at 09:00"],
  ["@daily", "every day at midnight"],
];

/** IANA names this runtime knows, for the time zone field's suggestions. */
const TIME_ZONES: string[] = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];

export function NewSchedulePage({ values: v, errors, now, actions, editing }: { values: NewScheduleFormValues; errors?: NewScheduleFormErrors; now: Date; editing?: ScheduleEditing } & PageChrome) {
  const title = editing ? "Edit schedule" : "New schedule";
  // After a refused submit the cursor starts in the first field with a problem.
  const { e, other, focus, input } = formControls(v, errors, FIELD_ORDER, "name");
  return (
    <Layout title={title} nav="schedules" now={now} actions={actions}>
      <p class="crumbs">
        <a href="/schedules">Schedules</a> /
      </p>
      <div class="page-head">
        {editing ? (
          <h1 safe>{v.name}</h1>
        ) : (
          <h1>New schedule</h1>
        )}
        {editing ? <ScheduleControls id={editing.id} /> : ""}
      </div>
      <form class="panel task-form" method="post" action={editing ? `/schedules/${editing.id}` : "/schedules"} novalidate>
        <FormErrors refused={errors !== undefined} message={`The schedule was not ${editing ? "saved" : "created"}: fix the fields marked below.`} other={other} />
        <fieldset>
          <legend>Schedule</legend>
          <FormField id="f-name" label="Name" hint="Each task is named after the schedule." error={e.name} class="full">
            <input {...input("name", true)} maxlength="200" required autocomplete="off" />
          </FormField>
          <FormField id="f-cron" label="Cron expression" hint={`${CRON_ACCEPTED[0]!.toUpperCase()}${CRON_ACCEPTED.slice(1)}.`} error={e.cron}>
            <input {...input("cron", true)} class="mono" list="cron-examples" maxlength="200" required autocomplete="off" spellcheck="false" />
            <datalist id="cron-examples">
              {CRON_EXAMPLES.map(([expr, label]) => (
                <option value={expr} label={label}></option>
              ))}
            </datalist>
          </FormField>
          <FormField id="f-timezone" label="Time zone" hint="IANA name the expression is read in, like Europe/Berlin." error={e.timezone}>
            <input {...input("timezone", true)} list="time-zones" autocomplete="off" spellcheck="false" />
            <datalist id="time-zones">
              {TIME_ZONES.map((z) => (
                <option value={z}></option>
              ))}
            </datalist>
          </FormField>
        </fieldset>
        <fieldset>
          <legend>Overlap and missed runs</legend>
          <FormField id="f-overlap" label="While the last run is live" hint="What a due time does while the schedule's last run has not finished." error={e.overlap}>
            <select id="f-overlap" name="overlap" {...describedBy("f-overlap", true, e.overlap)}>
              {(Object.keys(OVERLAP_LABELS) as Overlap[]).map((o) => (
                <option value={o} selected={v.overlap === o} safe>
                  {OVERLAP_LABELS[o]}
                </option>
              ))}
            </select>
          </FormField>
          <FormField id="f-catch_up" label="Missed due times" hint="Due times that passed while no coordinator ran." error={e.catch_up}>
            <select id="f-catch_up" name="catch_up" {...describedBy("f-catch_up", true, e.catch_up)}>
              {(Object.keys(CATCH_UP_LABELS) as CatchUp[]).map((c) => (
                <option value={c} selected={v.catch_up === c} safe>
                  {CATCH_UP_LABELS[c]}
                </option>
              ))}
            </select>
          </FormField>
          <FormField id="f-catch_up_max" label="Catch-up maximum" hint="With all: the most missed due times one tick runs." error={e.catch_up_max}>
            <input type="number" {...input("catch_up_max", true)} min="1" max="1000" step="1" />
          </FormField>
        </fieldset>
        <fieldset>
          <legend>Task</legend>
          <FormField id="f-command" label="Command" hint="Run with /bin/sh -c on one worker at each due time." error={e.command} class="full">
            <textarea id="f-command" name="command" rows="4" class="mono" spellcheck="false" required autofocus={focus("command")} {...describedBy("f-command", true, e.command)} safe>
              {`\n${v.command}`}
            </textarea>
          </FormField>
          <FormField id="f-queue" label="Queue" hint="Only workers serving this queue take it." error={e.queue}>
            <input {...input("queue", true)} maxlength="64" autocomplete="off" />
          </FormField>
          <FormField id="f-priority" label="Priority" hint="−100 to 100; higher runs first." error={e.priority}>
            <input type="number" {...input("priority", true)} min="-100" max="100" step="1" />
          </FormField>
          <FormField id="f-max_retries" label="Max retries" hint="Retries after the first attempt, 0 to 100." error={e.max_retries}>
            <input type="number" {...input("max_retries", true)} min="0" max="100" step="1" />
          </FormField>
          <FormField id="f-timeout_ms" label="Timeout (ms)" hint="Empty: no limit." error={e.timeout_ms}>
            <input type="number" {...input("timeout_ms", true)} min="1" step="1" />
          </FormField>
          <FormField id="f-env" label="Environment" hint="One NAME=value per line, added to the worker's environment." error={e.env} class="full">
            <textarea id="f-env" name="env" rows="3" class="mono" spellcheck="false" autofocus={focus("env")} {...describedBy("f-env", true, e.env)} safe>
              {`\n${v.env}`}
            </textarea>
          </FormField>
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="button primary">
            {editing ? "Save changes" : "Create schedule"}
          </button>
          <a href="/schedules" class="button subtle">
            Cancel
          </a>
        </div>
      </form>
      {editing ? <ScheduleHistory ticks={editing.ticks} now={now} /> : ""}
    </Layout>
  );
}

/** Run now and delete, as plain form posts. */
function ScheduleControls({ id }: { id: string }) {
  return (
    <div class="row-actions">
      <form method="post" action={`/schedules/${id}/run`}>
        <button type="submit" class="button" title="Make a task now, outside the cron (recorded as manual)">
          Run now
        </button>
      </form>
      <form method="post" action={`/schedules/${id}/delete`}>
        <button type="submit" class="button danger" title="Delete the schedule; the tasks it made stay">
          Delete
        </button>
      </form>
    </div>
  );
}

/** What the last due times did: tasks made, queued, replaced, skipped (and why), run now. */
function ScheduleHistory({ ticks, now }: { ticks: ScheduleTickRow[]; now: Date }) {
  return (
    <section class="panel" aria-labelledby="h-history">
      <h2 id="h-history">History</h2>
      {ticks.length === 0 ? (
        <p class="muted">No due time has come yet.</p>
      ) : (
        <table class="schedule-history stack-on-phone">
          <thead>
            <tr>
              <th scope="col">Due</th>
              <th scope="col">Outcome</th>
              <th scope="col">Task</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {ticks.map((t) => (
              <tr class={`tick tick-${t.outcome}`}>
                <td data-label="Due">
                  <RelativeTime at={t.dueAt} now={now} absolute />
                </td>
                <td data-label="Outcome">
                  <span class={`badge badge-${t.outcome === "skipped" ? "cancelled" : "other"}`} safe>
                    {t.outcome}
                  </span>
                </td>
                <td data-label="Task">
                  {t.taskId === null ? (
                    <span class="muted">—</span>
                  ) : (
                    <a href={`/tasks/${t.taskId}`} class="mono" safe>
                      {t.taskId.slice(0, 8)}
                    </a>
                  )}
                </td>
                <td data-label="Why" safe>
                  {t.message ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

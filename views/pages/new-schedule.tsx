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

/** Fields in the order the form shows them. */
const FIELD_ORDER: (keyof NewScheduleFormValues)[] = ["name", "cron", "timezone", "command", "queue", "priority", "max_retries", "timeout_ms", "env"];

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

export function NewSchedulePage({ values: v, errors, now, actions }: { values: NewScheduleFormValues; errors?: NewScheduleFormErrors; now: Date } & PageChrome) {
  // After a refused submit the cursor starts in the first field with a problem.
  const { e, other, focus, input } = formControls(v, errors, FIELD_ORDER, "name");
  return (
    <Layout title="New schedule" nav="schedules" now={now} actions={actions}>
      <p class="crumbs">
        <a href="/schedules">Schedules</a> /
      </p>
      <div class="page-head">
        <h1>New schedule</h1>
      </div>
      <form class="panel task-form" method="post" action="/schedules" novalidate>
        <FormErrors refused={errors !== undefined} message="The schedule was not created: fix the fields marked below." other={other} />
        <fieldset>
          <legend>Schedule</legend>
          <FormField id="f-name" label="Name" hint="Each task is named after the schedule." error={e.name} class="full">
            <input {...input("name", true)} maxlength="200" required autocomplete="off" />
          </FormField>
          <FormField id="f-cron" label="Cron expression" hint="5 fields (minute hour day month weekday), 6 with seconds first, or @hourly, @daily…" error={e.cron}>
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
            Create schedule
          </button>
          <a href="/schedules" class="button subtle">
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  );
}

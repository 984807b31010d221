/**
 * The new-task form: every task field with the API's defaults, run now / at a
 * time / after a delay. It is checked by the API's own validation; a refused
 * submit comes back with each error beside its field and the values kept.
 * `novalidate`: the server's rules are the one source, the browser's are hints.
 * Textareas start with a newline because HTML drops the first one of their content.
 */
import { describedBy, formControls, FormErrors, FormField } from "../components/form-field.tsx";
import { attributeText } from "../attribute-text.ts";
import { Layout, type PageChrome } from "../layout.tsx";
import type { NewTaskFormErrors, NewTaskFormValues } from "../../src/scheduler/dashboard/task-form.ts";

export function NewTaskPage({ values: v, errors, now, actions }: { values: NewTaskFormValues; errors?: NewTaskFormErrors; now: Date } & PageChrome) {
  // After a refused submit the cursor starts in the first field with a problem.
  const { e, other, focus, input } = formControls(v, errors, FIELD_ORDER, "name");
  return (
    <Layout title="New task" nav="new-task" now={now} actions={actions}>
      <div class="page-head">
        <h1>New task</h1>
      </div>
      <form class="panel task-form" method="post" action="/tasks" novalidate>
        <FormErrors refused={errors !== undefined} message="The task was not submitted: fix the fields marked below." other={other} />
        <fieldset>
          <legend>Task</legend>
          <FormField id="f-name" label="Name" error={e.name}>
            <input {...input("name", false)} maxlength="200" required autocomplete="off" />
          </FormField>
          <FormField id="f-command" label="Command" hint="Run with /bin/sh -c on one worker." error={e.command} class="full">
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
        </fieldset>
        <fieldset class="when">
          <legend>When</legend>
          <div class="choices">
            <label>
              <input type="radio" name="when" value="now" id="when-now" checked={v.when === "now"} /> Now
            </label>
            <label>
              <input type="radio" name="when" value="at" id="when-at" checked={v.when === "at"} /> At a time
            </label>
            <label>
              <input type="radio" name="when" value="delay" id="when-delay" checked={v.when === "delay"} /> After a delay
            </label>
          </div>
          <FormField id="f-run_at" label="Run at" hint="UTC" error={e.run_at} class="when-at">
            <input type="datetime-local" {...input("run_at", true)} step="1" />
            <input type="hidden" name="tz_offset" value={attributeText(v.tz_offset)} data-tz-offset />
          </FormField>
          <FormField id="f-delay_amount" label="Delay" error={e.delay_amount} class="when-delay">
            <span class="inline">
              <input type="number" {...input("delay_amount", false)} min="0" step="any" />
              <select name="delay_unit" aria-label="Delay unit">
                <option value="s" selected={v.delay_unit === "s"}>
                  seconds
                </option>
                <option value="min" selected={v.delay_unit === "min"}>
                  minutes
                </option>
                <option value="h" selected={v.delay_unit === "h"}>
                  hours
                </option>
              </select>
            </span>
          </FormField>
        </fieldset>
        <fieldset>
          <legend>Retries and limits</legend>
          <FormField id="f-max_retries" label="Max retries" hint="Retries after the first attempt, 0 to 100." error={e.max_retries}>
            <input type="number" {...input("max_retries", true)} min="0" max="100" step="1" />
          </FormField>
          <FormField id="f-backoff_ms" label="First retry delay (ms)" error={e.backoff_ms}>
            <input type="number" {...input("backoff_ms", false)} min="1" step="1" />
          </FormField>
          <FormField id="f-backoff_factor" label="Backoff factor" hint="Growth per retry, 1 to 10." error={e.backoff_factor}>
            <input type="number" {...input("backoff_factor", true)} min="1" max="10" step="any" />
          </FormField>
          <FormField id="f-backoff_max_ms" label="Max retry delay (ms)" error={e.backoff_max_ms}>
            <input type="number" {...input("backoff_max_ms", false)} min="1" step="1" />
          </FormField>
          <FormField id="f-timeout_ms" label="Timeout (ms)" hint="Empty: no limit." error={e.timeout_ms}>
            <input type="number" {...input("timeout_ms", true)} min="1" step="1" />
          </FormField>
        </fieldset>
        <fieldset>
          <legend>Environment and idempotency</legend>
          <FormField id="f-env" label="Environment" hint="One NAME=value per line, added to the worker's environment." error={e.env} class="full">
            <textarea id="f-env" name="env" rows="3" class="mono" spellcheck="false" autofocus={focus("env")} {...describedBy("f-env", true, e.env)} safe>
              {`\n${v.env}`}
            </textarea>
          </FormField>
          <FormField id="f-idempotency_key" label="Idempotency key" hint="Submitting the same key again opens the first task." error={e.idempotency_key}>
            <input {...input("idempotency_key", true)} maxlength="200" autocomplete="off" />
          </FormField>
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="button primary">
            Submit task
          </button>
          <a href="/tasks" class="button subtle">
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  );
}

/** Fields in the order the form shows them. */
const FIELD_ORDER: (keyof NewTaskFormValues)[] = [
  "name", "command", "queue", "priority", "run_at", "delay_amount", "max_retries", "backoff_ms", "backoff_factor", "backoff_max_ms", "timeout_ms", "env", "idempotency_key",
];

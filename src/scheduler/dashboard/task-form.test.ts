import { describe, expect, test } from "bun:test";
import { NEW_TASK_DEFAULTS, type NewTaskFormValues } from "./task-form.ts";
import { checkTaskForm, formErrors, parseEnvLines, readTaskForm, taskBodyFromForm } from "./task-form.ts";

const form = (fields: Partial<NewTaskFormValues>) => ({ ...NEW_TASK_DEFAULTS, name: "n", command: "true", ...fields });

describe("taskBodyFromForm", () => {
  test("the defaults make the API's minimal body: empty optional fields are left to the API's defaults", () => {
    expect(taskBodyFromForm(form({})).body).toEqual({
      name: "n", command: "true", queue: "default", priority: 0, max_retries: 3, backoff_ms: 1000, backoff_factor: 2, backoff_max_ms: 3600000,
    });
  });

  test("run at a time: the datetime-local value in the browser's offset", () => {
    expect(taskBodyFromForm(form({ when: "at", run_at: "2030-01-31T12:00", tz_offset: "120" })).body.run_at).toBe("2030-01-31T12:00+02:00");
    expect(taskBodyFromForm(form({ when: "at", run_at: "2030-01-31T12:00:30", tz_offset: "-330" })).body.run_at).toBe("2030-01-31T12:00:30-05:30");
    expect(taskBodyFromForm(form({ when: "at", run_at: "2030-01-31T12:00" })).body.run_at).toBe("2030-01-31T12:00+00:00");
    // Not a datetime-local value: passed on, so the API's validation names it.
    expect(taskBodyFromForm(form({ when: "at", run_at: "tomorrow" })).body.run_at).toBe("tomorrow");
    // A run_at typed while "now" is chosen is ignored.
    expect(taskBodyFromForm(form({ when: "now", run_at: "2030-01-31T12:00" })).body.run_at).toBeUndefined();
  });

  test("after a delay: amount × unit in milliseconds", () => {
    expect(taskBodyFromForm(form({ when: "delay", delay_amount: "90", delay_unit: "s" })).body.delay_ms).toBe(90_000);
    expect(taskBodyFromForm(form({ when: "delay", delay_amount: "1.5", delay_unit: "h" })).body.delay_ms).toBe(5_400_000);
    expect(taskBodyFromForm(form({ when: "delay", delay_amount: "" })).body.delay_ms).toBe("");
  });

  test("numbers that are not numbers stay text, for the validation to name", () => {
    expect(taskBodyFromForm(form({ priority: "high" })).body.priority).toBe("high");
    expect(taskBodyFromForm(form({ timeout_ms: " 5000 " })).body.timeout_ms).toBe(5000);
  });
});

describe("parseEnvLines", () => {
  test("NAME=value lines, values keep later = signs, blank lines skipped", () => {
    expect(parseEnvLines("A=1\n\nB=x=y\nC=")).toEqual({ vars: { A: "1", B: "x=y", C: "" }, problems: [] });
  });
  test("lines without = and repeated names are problems at /env", () => {
    expect(parseEnvLines("A=1\nnope\nA=2").problems).toEqual([
      { path: "/env", message: "line 2: write NAME=value" },
      { path: "/env", message: "line 3: A is set twice" },
    ]);
  });
});

describe("checkTaskForm and formErrors", () => {
  test("the API's validation finds each problem, shown beside its field", () => {
    const checked = checkTaskForm(form({ name: "", command: "", queue: "Bad Queue", priority: "500", when: "delay", delay_amount: "-1", env: "1X=a" }));
    expect(checked.ok).toBe(false);
    const errors = formErrors(checked.ok ? [] : checked.problems);
    expect(errors.fields).toEqual({
      name: "must be a string of 1 to 200 characters",
      command: "must be a non-empty string of at most 65536 bytes (UTF-8)",
      queue: "must be 1 to 64 characters of a-z, 0-9, _ and -",
      priority: "must be an integer from -100 to 100",
      delay_amount: "must be a number from 0 up to one year",
      env: "1X: is not a valid variable name: letters, digits and _, not starting with a digit",
    });
    expect(errors.other).toEqual([]);
  });

  test("a valid form gives the task to insert", () => {
    const checked = checkTaskForm(form({ env: "A=1\r\n", command: "echo a\r\necho b" }));
    expect(checked.ok && checked.value).toMatchObject({ name: "n", env: { A: "1" }, command: "echo a\r\necho b", queue: "default" });
  });

  test("readTaskForm normalizes CRLF newlines and unknown choices", () => {
    const v = readTaskForm(new URLSearchParams({ name: "x", command: "a\r\nb", when: "later", delay_unit: "weeks" }));
    expect(v).toMatchObject({ command: "a\nb", when: "now", delay_unit: "s", queue: "default", max_retries: "3" });
  });
});

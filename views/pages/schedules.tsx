/**
 * Schedules: every recurring task with its cron expression and time zone, its
 * next and last run (and the status of the task the last run made), paused or
 * active, with pause/resume buttons and a link to the tasks it made. Live: the
 * stream replaces the table body when a schedule changes, ticks, or its tasks move on.
 */
import type { ScheduleView } from "../../src/db/queries/list-schedules.ts";
import { ScheduleRows, SCHEDULE_ROWS_ID } from "../fragments/schedule-rows.tsx";
import { Layout, type PageChrome } from "../layout.tsx";
import { LIVE_PATHS, SCHEDULES_EVENT } from "../live-events.ts";

export interface SchedulesPageProps extends PageChrome {
  schedules: ScheduleView[];
  now: Date;
}

export function SchedulesPage({ schedules, now, actions }: SchedulesPageProps) {
  return (
    <Layout title="Schedules" nav="schedules" now={now} actions={actions}>
      <div class="live" hx-ext="sse" sse-connect={LIVE_PATHS.schedules}>
        <div class="page-head">
          <h1>Schedules</h1>
          <a class="button primary" href="/schedules/new">
            New schedule
          </a>
        </div>
        <div class="table-wrap">
          <table class="schedules stack-on-phone">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col" title="The status of the task the last run made">
                  Last result
                </th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody id={SCHEDULE_ROWS_ID} sse-swap={SCHEDULES_EVENT}>
              <ScheduleRows schedules={schedules} now={now} />
            </tbody>
          </table>
        </div>
        <p class="muted footnote">
          Times are UTC; each cron expression is read in its own time zone. Runs missed while everything was down are not replayed, except the latest one.
        </p>
      </div>
    </Layout>
  );
}

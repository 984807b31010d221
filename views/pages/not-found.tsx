/** The dashboard's 404 page. */
import { Layout, type PageChrome } from "../layout.tsx";

export function NotFoundPage({ message, now, actions }: { message: string; now: Date } & PageChrome) {
  return (
    <Layout title="Not found" nav="tasks" now={now} actions={actions}>
      <section class="panel narrow">
        <h1>Not found</h1>
        <p safe>{message}</p>
        <p>
          <a href="/tasks">Back to the tasks</a>
        </p>
      </section>
    </Layout>
  );
}

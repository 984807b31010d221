/**
 * The dashboard's sign-in form (shown only when taskflow runs with --token): one
 * password field for the shared token. It posts to /login, which sets the
 * session cookie and returns to `next`; a wrong token comes back with an error.
 */
import { describedBy, FormField } from "../components/form-field.tsx";
import { Layout } from "../layout.tsx";

export interface LoginPageProps {
  /** Where to go after signing in (a path on this site). */
  next: string;
  /** Why the last attempt was refused, if it was. */
  error?: string;
}

export function LoginPage({ next, error }: LoginPageProps): string {
  return (
    <Layout title="Sign in">
      <div class="page-head">
        <h1>Sign in</h1>
      </div>
      <form class="panel login-form" method="post" action="/login">
        <input type="hidden" name="next" value={next} />
        <FormField id="f-token" label="Token" hint="The shared token taskflow was started with (--token or TASKFLOW_TOKEN)." error={error}>
          <input
            type="password"
            id="f-token"
            name="token"
            autocomplete="current-password"
            required
            autofocus
            {...describedBy("f-token", true, error)}
          />
        </FormField>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  ) as string;
}

/** The sign-out button for the layout's `actions` slot. */
export function SignOutForm() {
  return (
    <form method="post" action="/logout" class="sign-out">
      <button type="submit" class="link-button">
        Sign out
      </button>
      <button type="submit" name="everywhere" value="1" class="link-button" title="Revokes every dashboard session, on every browser">
        Sign out everywhere
      </button>
    </form>
  );
}

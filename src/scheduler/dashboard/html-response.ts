/**
 * HTML answers of the dashboard: pages (never cached: they show live state),
 * redirects after a form post, and fragments for htmx requests. Action routes
 * answer both: a plain form (no JavaScript) gets a page or a redirect, the same
 * form enhanced by htmx (`HX-Request: true`) gets the fragment it swaps in place.
 */

export function htmlPage(html: string, status = 200): Response {
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // Nothing is embedded elsewhere or loaded from elsewhere: frames, plugins and foreign origins are refused.
      "content-security-policy":
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
    },
  });
}

/** 303 See Other: the browser follows with a GET, so reloading the result never re-posts the form. */
export function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location } });
}

/** Whether htmx sent the request (it swaps a fragment in place; a plain form navigates). */
export function isHtmxRequest(request: Request): boolean {
  return request.headers.get("hx-request") === "true";
}

/** A fragment for htmx to swap in place: a page's headers, and `Vary` so a page and a fragment of one URL are never mixed up. */
export function htmlFragment(html: string, status = 200): Response {
  const res = htmlPage(html, status);
  res.headers.set("vary", "HX-Request");
  return res;
}

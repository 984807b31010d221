/** HTML answers of the dashboard: pages (never cached: they show live state) and redirects after a form post. */

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

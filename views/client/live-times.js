// Progressive enhancement for the dashboard (pages work without it):
// - ticks relative times (<time data-rel="ago|age|until">) every second, using the server's clock;
// - shows absolute times (tooltips, the small print under times) in UTC or the browser's zone,
//   as the top bar's toggle says (remembered in localStorage), and fills the new-task
//   form's time zone offset to match;
// The wording rules mirror views/format.ts.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="server-now"]');
  // Server clock minus browser clock, so ages agree with the server's timestamps.
  var skew = meta ? Number(meta.getAttribute("content")) - Date.now() : 0;
  if (!isFinite(skew)) skew = 0;

  var S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

  function unitText(abs) {
    if (abs < M) return Math.floor(abs / S) + " s";
    if (abs < H) return Math.floor(abs / M) + " min";
    if (abs < D) return Math.floor(abs / H) + " h";
    return Math.floor(abs / D) + " d";
  }

  function pair(ms, big, bigUnit, small, smallUnit) {
    var a = Math.floor(ms / big), b = Math.floor((ms % big) / small);
    return b === 0 ? a + " " + bigUnit : a + " " + bigUnit + " " + b + " " + smallUnit;
  }

  function age(ms) {
    ms = Math.max(0, ms);
    if (ms < M) return Math.floor(ms / S) + " s";
    if (ms < H) return pair(ms, M, "min", S, "s");
    if (ms < D) return pair(ms, H, "h", M, "min");
    return pair(ms, D, "d", H, "h");
  }

  function relative(diff) {
    var abs = Math.abs(diff);
    if (abs < 5 * S) return "just now";
    return diff >= 0 ? unitText(abs) + " ago" : "in " + unitText(abs);
  }

  // A countdown stops at "due now" (the next due time arrives over the stream).
  function countdown(diff) {
    return diff >= 0 ? "due now" : relative(diff).replace("just now", "in a moment");
  }

  function tick() {
    // A page that lost its stream is out of date: its ages stop (live-connection.js).
    if (document.documentElement.getAttribute("data-live") === "lost") return;
    var now = Date.now() + skew;
    var els = document.querySelectorAll("time[data-rel]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var at = Date.parse(el.getAttribute("datetime"));
      if (!isFinite(at)) continue;
      var kind = el.getAttribute("data-rel");
      var text = kind === "age" ? age(now - at) : kind === "until" ? countdown(now - at) : relative(now - at);
      if (el.textContent !== text) el.textContent = text;
    }
  }

  function offsetText(minutes) {
    var sign = minutes < 0 ? "-" : "+";
    var abs = Math.abs(minutes);
    var hh = String(Math.floor(abs / 60)).padStart(2, "0");
    var mm = String(abs % 60).padStart(2, "0");
    return "UTC" + sign + hh + ":" + mm;
  }

  // Absolute times in UTC (as the server renders them) or in the browser's zone,
  // chosen with the top bar's toggle and remembered in this browser.
  var ZONE_KEY = "taskflow-time-zone";
  function zone() {
    try { return localStorage.getItem(ZONE_KEY) === "local" ? "local" : "utc"; } catch (e) { return "utc"; }
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  /** "2030-01-31 12:00:05 UTC", or in the browser's zone "2030-01-31 13:00:05 UTC+01:00". */
  function absolute(ms) {
    if (zone() === "utc") return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + " UTC";
    var d = new Date(ms);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " " + offsetText(-d.getTimezoneOffset());
  }

  function showZone() {
    var els = document.querySelectorAll("time[datetime], [data-abs]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var at = Date.parse(el.getAttribute("data-abs") || el.getAttribute("datetime"));
      if (!isFinite(at)) continue;
      var text = absolute(at);
      if (el.hasAttribute("data-abs")) { if (el.textContent !== text) el.textContent = text; }
      else if (el.getAttribute("title") !== text) el.setAttribute("title", text);
    }
    var toggle = document.getElementById("tz-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.textContent = zone() === "utc" ? "UTC" : "Local time";
      toggle.setAttribute("aria-label", zone() === "utc" ? "Times in UTC; show them in your time zone" : "Times in your time zone; show them in UTC");
    }
    fillTimeZone();
  }

  // The run-at field reads in the zone the page shows.
  function fillTimeZone() {
    var input = document.querySelector("input[data-tz-offset]");
    if (!input) return;
    var minutes = zone() === "utc" ? 0 : -new Date().getTimezoneOffset();
    input.value = String(minutes);
    var hint = document.getElementById("f-run_at-hint");
    if (hint) hint.textContent = zone() === "utc" ? "UTC" : "Your time (" + offsetText(minutes) + ")";
  }

  document.addEventListener("DOMContentLoaded", function () {
    showZone();
    tick();
    setInterval(tick, 1000);
    var toggle = document.getElementById("tz-toggle");
    if (toggle) toggle.addEventListener("click", function () {
      try { localStorage.setItem(ZONE_KEY, zone() === "utc" ? "local" : "utc"); } catch (e) { /* private mode: this page only */ }
      showZone();
    });
  });
  document.addEventListener("htmx:afterSettle", function () { showZone(); tick(); });
  document.addEventListener("htmx:sseMessage", showZone);
})();

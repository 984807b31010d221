// Progressive enhancement for the dashboard (pages work without it):
// - ticks relative times (<time data-rel="ago|age">) every second, using the server's clock;
// - fills the new-task form's time zone offset with the browser's;
// - shows whether the live stream is connected.
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

  function tick() {
    var now = Date.now() + skew;
    var els = document.querySelectorAll("time[data-rel]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var at = Date.parse(el.getAttribute("datetime"));
      if (!isFinite(at)) continue;
      var text = el.getAttribute("data-rel") === "age" ? age(now - at) : relative(now - at);
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

  function fillTimeZone() {
    var input = document.querySelector("input[data-tz-offset]");
    if (!input) return;
    var minutes = -new Date().getTimezoneOffset();
    input.value = String(minutes);
    var hint = document.getElementById("f-run_at-hint");
    if (hint) hint.textContent = "Your time (" + offsetText(minutes) + ")";
  }

  function liveState(text, state) {
    var el = document.getElementById("live-state");
    if (!el) return;
    el.textContent = text;
    el.setAttribute("data-state", state);
  }

  document.addEventListener("DOMContentLoaded", function () {
    fillTimeZone();
    tick();
    setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSettle", tick);
  document.addEventListener("htmx:sseOpen", function () { liveState("live", "open"); });
  document.addEventListener("htmx:sseError", function () { liveState("reconnecting…", "error"); });
})();

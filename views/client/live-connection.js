// The live connection of a dashboard page (progressive enhancement: without it,
// pages are plain server-rendered HTML). It owns what a lost stream looks like and
// how it comes back:
// - open: the top bar says "live";
// - lost: a banner says the page is out of date, the page is greyed
//   (html[data-live="lost"] in the stylesheet) and ages stop ticking (live-times.js
//   reads the same attribute);
// - reconnecting without a flood: the browser's own retry would try every 2 s and
//   htmx's doubles up to a minute, each failed try a console error. Instead the
//   stream is closed and /readyz is probed after 1, 2, 4, then every 5 s; when it
//   answers, the stream reopens from the last event it delivered (`after`, with the
//   rows now shown for a task list), so nothing in between is missed;
// - gone: the task of a task page no longer exists (its summary says so); the
//   stream is closed for good.
(function () {
  "use strict";
  var DELAYS = [1000, 2000, 4000, 5000];
  var TEXT = { open: "live", lost: "disconnected", connecting: "reconnecting…", gone: "task gone" };
  var lastId = null;
  var attempt = 0;
  var timer = null;
  var leaving = false;

  function setState(state) {
    document.documentElement.setAttribute("data-live", state);
    var el = document.getElementById("live-state");
    if (el) {
      el.textContent = TEXT[state];
      el.setAttribute("data-state", state);
    }
    var banner = document.getElementById("live-banner");
    if (banner) banner.hidden = state !== "lost" && state !== "connecting";
  }

  function state() {
    return document.documentElement.getAttribute("data-live");
  }

  function gone() {
    return document.querySelector("[data-task-gone]") !== null;
  }

  /** The stream element's URL for reopening it where it stopped. */
  function resumeUrl(elt) {
    var url = new URL(elt.getAttribute("data-sse-url"), location.href);
    if (lastId !== null && url.searchParams.has("after")) url.searchParams.set("after", lastId);
    if (url.searchParams.has("ids")) {
      var rows = document.querySelectorAll("#task-rows > tr[id^='task-']");
      var ids = [];
      for (var i = 0; i < rows.length; i++) ids.push(rows[i].id.slice(5));
      url.searchParams.set("ids", ids.join(","));
    }
    return url.pathname + url.search;
  }

  function reconnect(elt) {
    setState("connecting");
    // A fresh copy of the element: htmx and its SSE extension set it up anew, with the new URL.
    var fresh = elt.cloneNode(true);
    fresh.setAttribute("sse-connect", resumeUrl(elt));
    fresh.removeAttribute("data-sse-url");
    elt.replaceWith(fresh);
    htmx.process(fresh);
    document.dispatchEvent(new CustomEvent("taskflow:reconnected"));
  }

  function probe(elt) {
    var delay = DELAYS[Math.min(attempt, DELAYS.length - 1)];
    attempt++;
    timer = setTimeout(function () {
      timer = null;
      fetch("/readyz", { cache: "no-store" }).then(
        function (res) {
          if (res.ok) reconnect(elt);
          else probe(elt);
        },
        function () { probe(elt); }
      );
    }, delay);
  }

  document.addEventListener("htmx:sseOpen", function () {
    attempt = 0;
    if (!gone()) setState("open");
  });

  document.addEventListener("htmx:sseMessage", function (e) {
    if (e.detail && e.detail.lastEventId) lastId = e.detail.lastEventId;
    if (gone() && state() !== "gone") {
      var elt = document.querySelector("[sse-connect]");
      var data = elt && elt["htmx-internal-data"];
      if (data && data.sseEventSource) data.sseEventSource.close();
      if (elt) elt.removeAttribute("sse-connect");
      setState("gone");
    }
  });

  document.addEventListener("htmx:sseError", function (e) {
    var elt = e.target;
    var source = e.detail && e.detail.source;
    if (leaving || !elt || !source || !elt.hasAttribute("sse-connect")) return;
    // No retry by the browser (every 2 s) or by htmx (its timer finds no sse-connect to reopen).
    source.close();
    elt.setAttribute("data-sse-url", elt.getAttribute("sse-connect"));
    elt.removeAttribute("sse-connect");
    if (gone()) return;
    setState("lost");
    if (timer === null) probe(elt);
  });

  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("beforeunload", function () { leaving = true; });
})();

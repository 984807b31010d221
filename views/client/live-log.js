// Live task output on the task page (progressive enhancement; the page shows the
// stored log without it). Each <pre class="log" data-follow="URL"> opens that SSE
// stream and appends its `log` pieces (HTML escaped and coloured by the server),
// following the newest line unless the reader scrolled up; `log-end` closes it.
// Streams of elements an SSE swap removed are closed, and new elements are followed.
(function () {
  "use strict";
  var sources = [];

  function atBottom(el) {
    return el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
  }

  function follow(el) {
    if (el.__taskflowFollowed) return;
    el.__taskflowFollowed = true;
    el.scrollTop = el.scrollHeight;
    var url = el.getAttribute("data-follow");
    if (!url || typeof EventSource === "undefined") return;
    // After a lost connection, from the offset reached (event ids are offsets).
    if (el.__taskflowOffset) url = url.replace(/([?&]offset=)\d*/, "$1" + el.__taskflowOffset);
    var source = new EventSource(url);
    sources.push({ el: el, source: source });
    source.addEventListener("log", function (e) {
      if (e.lastEventId) el.__taskflowOffset = e.lastEventId;
      var stick = atBottom(el);
      el.insertAdjacentHTML("beforeend", e.data);
      if (stick) el.scrollTop = el.scrollHeight;
    });
    // No retry every 2 s while taskflow is away: the page's stream (live-connection.js)
    // probes with a growing delay and says when it is back ("taskflow:reconnected").
    source.addEventListener("error", function () {
      source.close();
      el.__taskflowFollowed = false;
      // Only this stream dropped (the page is still live): follow again shortly.
      setTimeout(function () {
        if (document.documentElement.getAttribute("data-live") === "open") scan();
      }, 2000);
    });
    source.addEventListener("log-end", function () {
      source.close();
      el.removeAttribute("data-follow");
    });
  }

  function scan() {
    // Close the streams of logs that are gone (replaced by a live swap of the attempts).
    sources = sources.filter(function (s) {
      if (document.contains(s.el)) return true;
      s.source.close();
      return false;
    });
    var logs = document.querySelectorAll("pre.log");
    for (var i = 0; i < logs.length; i++) follow(logs[i]);
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
  document.addEventListener("htmx:sseMessage", scan);
  document.addEventListener("taskflow:reconnected", scan);
  window.addEventListener("pagehide", function () {
    sources.forEach(function (s) { s.source.close(); });
  });
})();

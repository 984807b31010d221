// The live task list (progressive enhancement): the stream inserts rows that start
// matching at the top of the list; this puts each at its place, newest first, by the
// `data-order` the server gives every row (creation time, then seq).
(function () {
  "use strict";
  function place() {
    var body = document.getElementById("task-rows");
    if (!body) return;
    var rows = Array.prototype.slice.call(body.querySelectorAll(":scope > tr[data-order]"));
    var sorted = true;
    for (var i = 1; i < rows.length && sorted; i++) sorted = rows[i - 1].getAttribute("data-order") >= rows[i].getAttribute("data-order");
    if (sorted) return;
    rows.sort(function (a, b) {
      var x = a.getAttribute("data-order"), y = b.getAttribute("data-order");
      return x < y ? 1 : x > y ? -1 : 0;
    });
    // Re-appending in order moves each row; the "no tasks match" row stays last.
    var empty = body.querySelector(":scope > tr.empty-row");
    for (var j = 0; j < rows.length; j++) body.insertBefore(rows[j], empty);
  }
  document.addEventListener("htmx:sseMessage", place);
})();

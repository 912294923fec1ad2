// Live updates for the search results: server-sent events tell that availability changed,
// htmx then reloads the results. When the server is busy (503) or the browser has no
// EventSource, the page polls every 15 seconds instead.
(function () {
  "use strict";
  var target = document.querySelector("[data-live-url]");
  if (!target || !window.htmx) { return; }
  var pending = null;
  function refresh() {
    if (pending) { return; }
    pending = window.setTimeout(function () {
      pending = null;
      window.htmx.trigger(target, "placements:changed");
    }, 300);
  }
  function state(name) { target.setAttribute("data-live-state", name); }
  function poll() { state("polling"); window.setInterval(refresh, 15000); }
  if (!window.EventSource) { poll(); return; }
  // With credentials: make run serves the streams from a port of their own (same host, so
  // the session cookie travels; koffer.shell.live).
  var source = new EventSource(target.getAttribute("data-live-url"), { withCredentials: true });
  source.addEventListener("open", function () { state("open"); });
  source.addEventListener("verfuegbarkeit", refresh);
  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) { poll(); }
  };
})();

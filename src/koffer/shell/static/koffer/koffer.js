// koffer: the little JavaScript the pages need. No inline script anywhere (strict CSP).
(function () {
  "use strict";
  var PHONE = window.matchMedia("(max-width: 40rem)");
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });
  // A table whose rows carry an action beyond their first column (a link, a button, a form)
  // becomes a list of cards on a phone (CSS: .koffer-table--cards), so the action is on the
  // screen, not beyond its right edge. Each cell gets its column's heading as data-label,
  // shown above the value there. A table with its only link in the first column stays a
  // table and scrolls sideways, with a hint (below).
  var ACTION_BEYOND_FIRST_COLUMN = ["a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary"]
    .map(function (c) { return "tbody tr > :not(:first-child) " + c; }).join(", ");
  function prepareCards(root) {
    root.querySelectorAll(".koffer-table-wrap").forEach(function (wrap) {
      var table = wrap.querySelector("table");
      if (!table || !table.tHead || wrap.classList.contains("koffer-table--cards")) { return; }
      if (!table.querySelector(ACTION_BEYOND_FIRST_COLUMN)) { return; }
      var heads = [];
      var row = table.tHead.rows[table.tHead.rows.length - 1];
      for (var i = 0; i < row.cells.length; i++) {
        for (var span = 0; span < row.cells[i].colSpan; span++) { heads.push(row.cells[i].textContent.trim()); }
      }
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (tr) {
          var column = 0;
          Array.prototype.forEach.call(tr.cells, function (cell) {
            if (cell.tagName === "TD" && heads[column] && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", heads[column]);
            }
            column += cell.colSpan;
          });
        });
      });
      wrap.classList.add("koffer-table--cards");
    });
  }
  // A table wider than the screen scrolls inside its wrapper. Keyboard users can only scroll
  // it when the wrapper takes focus, so give it a tab stop and a name, but only while it
  // actually scrolls (WCAG 2.1.1; axe: scrollable-region-focusable). Sighted users see a hint
  // above it and a shadow at the edge where more columns wait (koffer.css).
  function markScrollableTables() {
    document.querySelectorAll(".koffer-table-wrap").forEach(function (wrap) {
      var hint = wrap.previousElementSibling;
      if (!hint || !hint.classList.contains("koffer-scroll-hint")) { hint = null; }
      var named = wrap.hasAttribute("aria-labelledby");
      if (wrap.scrollWidth > wrap.clientWidth) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (!named) { wrap.setAttribute("aria-label", (caption ? caption.textContent.trim() + " – " : "") + "Tabelle seitlich scrollbar"); }
        wrap.classList.add("koffer-table-wrap--scrolls");
        if (!hint) {
          hint = document.createElement("p");
          hint.className = "koffer-scroll-hint";
          hint.setAttribute("aria-hidden", "true");
          hint.textContent = "Tabelle seitlich scrollbar →";
          wrap.parentNode.insertBefore(hint, wrap);
        }
        hint.hidden = false;
      } else {
        if (wrap.getAttribute("role") === "region" && !named) {
          wrap.removeAttribute("tabindex");
          wrap.removeAttribute("role");
          wrap.removeAttribute("aria-label");
        }
        wrap.classList.remove("koffer-table-wrap--scrolls");
        if (hint) { hint.hidden = true; }
      }
    });
  }
  // The module menu folds away on a phone behind its "Menü" button; on a wide screen it is
  // always open (its summary is hidden there). Without JavaScript it simply stays open.
  function fitMenu() {
    var menu = document.querySelector(".koffer-nav__menu");
    if (menu) { menu.open = !PHONE.matches; }
  }
  // After a save the page often opens at a section further down (#angebot-…), where the
  // message at the top of the page is out of sight: it moves into that section, under its
  // heading, and takes the focus so screen readers read it too.
  function showMessagesAtTarget() {
    var box = document.querySelector(".koffer-messages");
    var id = window.location.hash.slice(1);
    var target = id ? document.getElementById(decodeURIComponent(id)) : null;
    if (!box || !target || !target.closest("main") || target.contains(box)) { return; }
    var heading = target.querySelector("h1, h2, h3");
    if (heading && heading.parentNode === target) { heading.after(box); } else { target.prepend(box); }
    target.scrollIntoView();
    // Focus once the page has loaded: the browser's own jump to the fragment comes late
    // and would take the focus back to the start of the page.
    window.addEventListener("load", function () {
      box.focus({ preventScroll: true });
      target.scrollIntoView();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    fitMenu();
    prepareCards(document);
    markScrollableTables();
    showMessagesAtTarget();
    var summary = document.querySelector(".koffer-error-summary");
    if (summary) { summary.focus(); }
  });
  PHONE.addEventListener("change", fitMenu);
  window.addEventListener("resize", markScrollableTables);
  document.addEventListener("htmx:afterSettle", function (event) {
    prepareCards(event.target.closest ? event.target.closest("main") || document : document);
    markScrollableTables();
  });
})();

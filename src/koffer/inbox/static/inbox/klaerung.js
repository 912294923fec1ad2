// Triage shortcuts (listed on the page): A files into the suggested Akte, S/N/T focus
// the search, the reason and the team, X/Z/D the page to split at, the document to merge
// with and the page to turn, W goes to the next document. Keys do nothing while a field
// has the focus or with a modifier held; in a chosen list Enter sends its form.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target && target.tagName === "SELECT" && event.key === "Enter" &&
        target.hasAttribute("data-shortcut-focus") && target.form) {
      event.preventDefault();
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
      return;
    }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var key = (event.key || "").toLowerCase();
    var action = document.querySelector('[data-shortcut="' + key + '"]');
    if (action) {
      event.preventDefault();
      action.click();
      return;
    }
    var field = document.querySelector('[data-shortcut-focus="' + key + '"]');
    if (field) {
      event.preventDefault();
      field.focus();
    }
  });
})();

// koffer: keyboard handling of the header quick search (a combobox with a listbox popup).
// htmx fills the list while typing; this script only moves the selection (arrow keys),
// opens the selected entry (Enter) and closes the list (Escape, click elsewhere).
// Without JavaScript the form simply submits to the search page.
(function () {
  "use strict";
  function setup() {
    var input = document.getElementById("koffer-quicksearch-input");
    var list = document.getElementById("koffer-quicksearch-list");
    if (!input || !list) { return; }
    var form = input.form;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll('[role="option"]'));
    }
    function close() {
      list.innerHTML = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function select(index) {
      var opts = options();
      if (!opts.length) { return; }
      active = (index + opts.length) % opts.length;
      opts.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }
    function open(option) {
      var href = option && option.getAttribute("data-href");
      if (href) { window.location.assign(href); }
    }

    document.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== list) { return; }
      active = -1;
      input.removeAttribute("aria-activedescendant");
      input.setAttribute("aria-expanded", options().length ? "true" : "false");
    });
    input.addEventListener("keydown", function (event) {
      var expanded = input.getAttribute("aria-expanded") === "true";
      if (event.key === "ArrowDown" && expanded) {
        event.preventDefault();
        select(active + 1);
      } else if (event.key === "ArrowUp" && expanded) {
        event.preventDefault();
        select(active - 1);
      } else if (event.key === "Enter" && expanded && active >= 0) {
        event.preventDefault();
        open(options()[active]);
      } else if (event.key === "Escape" && expanded) {
        event.preventDefault();
        close();
      }
    });
    list.addEventListener("click", function (event) {
      open(event.target.closest('[role="option"]'));
    });
    document.addEventListener("click", function (event) {
      if (form && !form.contains(event.target)) { close(); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

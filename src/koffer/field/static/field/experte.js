// The Expertensitzung live: each field is sent on typing (debounced) or change, with the
// version of that field this screen last saw; the other screen's changes arrive as
// server-sent events and replace the field's value (and say who changed it). A write the
// server refuses as stale shows the field as it is now and says who changed it.
// Without JavaScript every field has its own "Übernehmen" button.
(function () {
  "use strict";
  var root = document.querySelector("[data-experte-live]");
  if (!root) { return; }
  var ich = root.getAttribute("data-ich");
  var status = document.getElementById("experte-status");
  var forms = {};

  function say(text) { if (status) { status.textContent = text; } }
  function post(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    });
  }
  function note(feld, text) {
    var el = root.querySelector('[data-von="' + feld + '"]');
    if (el) { el.textContent = text; }
  }
  function label(feld) {
    var el = document.getElementById("feld-" + feld);
    var lab = el && root.querySelector('label[for="feld-' + feld + '"]');
    return lab ? lab.textContent : feld;
  }
  function show(feld, wert, version, von) {
    var form = forms[feld];
    if (!form) { return; }
    var input = form.elements.wert;
    var text = wert === true ? "ja" : wert === false ? "nein" : (wert === null || wert === undefined ? "" : String(wert));
    if (typeof wert === "object" && wert !== null) { text = JSON.stringify(wert); }
    if (input.value !== text) { input.value = text; }
    form.elements.version.value = version;
    if (von) { note(feld, "Zuletzt geändert von " + von); }
  }

  Array.prototype.forEach.call(root.querySelectorAll("form[data-feld]"), function (form) {
    var feld = form.getAttribute("data-feld");
    var input = form.elements.wert;
    var timer = null, busy = false, again = false;
    forms[feld] = form;
    // Sent as one types: the button is for pages without script (KERN's button styles
    // would override the hidden attribute, so it goes).
    Array.prototype.forEach.call(form.querySelectorAll("[data-ohne-skript]"), function (b) { b.remove(); });
    function send() {
      window.clearTimeout(timer);
      if (busy) { again = true; return; }
      busy = true;
      form.setAttribute("data-sending", "1");
      post(form).then(function (res) {
        if (res.ok) {
          form.elements.version.value = res.body.version;
          note(feld, "Gespeichert");
        } else if (res.body.aktuell) {
          show(feld, res.body.aktuell.wert, res.body.aktuell.version, res.body.aktuell.von);
          note(feld, res.body.fehler);
          say(res.body.fehler);
          again = false;
        } else {
          note(feld, res.body.fehler || "Nicht gespeichert.");
        }
      }).catch(function () {
        note(feld, "Keine Verbindung: nicht gespeichert. Bitte erneut versuchen.");
      }).then(function () {
        busy = false;
        form.removeAttribute("data-sending");
        if (again) { again = false; send(); }
      });
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, 250);
    });
    input.addEventListener("change", send);
    form.addEventListener("submit", function (e) { e.preventDefault(); send(); });
  });

  var hinweisForm = document.querySelector("[data-hinweis-form]");
  if (hinweisForm) {
    hinweisForm.addEventListener("submit", function (e) {
      e.preventDefault();
      post(hinweisForm).then(function (res) {
        if (res.ok) { hinweisForm.elements.text.value = ""; say("Hinweis gegeben."); }
        else { say(res.body.fehler || "Der Hinweis wurde nicht gespeichert."); }
      }).catch(function () { say("Keine Verbindung: Hinweis nicht gespeichert."); });
    });
  }

  if (!window.EventSource) { say("Ihr Browser zeigt Änderungen nicht live: bitte die Seite neu laden."); return; }
  var source = new EventSource(root.getAttribute("data-live-url"), { withCredentials: true });
  source.addEventListener("open", function () { root.setAttribute("data-live-state", "open"); });
  source.addEventListener("feld", function (e) {
    var d = JSON.parse(e.data);
    var form = forms[d.feld];
    if (d.autor === ich) {
      // Our own write coming back: only the version, the field may already hold more typing.
      if (form && Number(form.elements.version.value) < d.version) { form.elements.version.value = d.version; }
      return;
    }
    show(d.feld, d.wert, d.version, d.von);
    say(d.von + " hat „" + label(d.feld) + "“ geändert.");
  });
  source.addEventListener("hinweis", function (e) {
    var d = JSON.parse(e.data);
    var list = root.querySelector('[data-hinweise="' + d.feld + '"]');
    if (list) {
      var li = document.createElement("li");
      li.textContent = d.von + ": " + d.text;
      list.appendChild(li);
    }
    if (d.autor !== ich) { say(d.von + " hat einen Hinweis gegeben: " + d.text); }
  });
  source.addEventListener("beitritt", function (e) { say(JSON.parse(e.data).von + " ist der Sitzung beigetreten."); });
  source.addEventListener("verlassen", function (e) { say(JSON.parse(e.data).von + " hat die Sitzung verlassen."); });
  source.addEventListener("ende", function () { source.close(); window.location.reload(); });
})();

// The Expertensitzung live: each field is sent on typing (debounced) or change, with the
// version of that field this screen last saw; the other screen's changes arrive as
// server-sent events and replace the field's value (and say who changed it). A write the
// server refuses as stale shows the field as it is now and says who changed it.
// A field with several controls (address, table, boxes to tick, person) is sent whole
// when one of its controls changes, and its box is fetched again after any change
// (a table gets its empty row for the next entry). Files and signatures are shown as
// they are (they are added in the form itself). Changes saved through the form's own
// pages arrive the same way, also on the screen of the person who saved them.
// Without JavaScript every field has its own "Übernehmen" button.
(function () {
  "use strict";
  var root = document.querySelector("[data-experte-live]");
  if (!root) { return; }
  var ich = root.getAttribute("data-ich");
  var boxUrl = root.getAttribute("data-box-url");
  var status = document.getElementById("experte-status");
  var forms = {};

  function say(text) { if (status) { status.textContent = text; } }
  function post(form, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) { body.append(submitter.name, submitter.value); }
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    });
  }
  function box(feld) { return root.querySelector('[data-feld-box="' + feld + '"]'); }
  function note(feld, text) {
    var el = root.querySelector('[data-von="' + feld + '"]');
    if (el) { el.textContent = text; }
  }
  function label(feld) {
    var el = box(feld);
    return el ? el.getAttribute("data-label") : feld;
  }
  var wartet = {};
  // A field with several controls, a file or a signature: its box as the server shows it now.
  // While someone works inside the box it waits until they leave it (nothing typed is
  // replaced; a write on an old version is refused and shows the box at once).
  function refresh(feld, danach, sofort) {
    var alt = box(feld);
    if (!alt) { return; }
    if (!sofort && document.activeElement && alt.contains(document.activeElement)) {
      wartet[feld] = true;
      return;
    }
    wartet[feld] = false;
    var fokus = document.activeElement && alt.contains(document.activeElement) ? document.activeElement.id : "";
    fetch(boxUrl.replace("/FELD/", "/" + feld + "/"), {
      credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
      if (!html) { return; }
      var tmp = document.createElement("div");
      tmp.innerHTML = html.trim();
      var neu = tmp.querySelector("[data-feld-box]");
      if (!neu || !box(feld)) { return; }
      box(feld).replaceWith(neu);
      var form = neu.querySelector("form[data-feld]");
      if (form) { bind(form); }
      if (fokus && document.getElementById(fokus)) { document.getElementById(fokus).focus(); }
      if (danach) { danach(); }
    }).catch(function () {});
  }
  root.addEventListener("focusout", function (e) {
    var b = e.target.closest ? e.target.closest("[data-feld-box]") : null;
    if (!b) { return; }
    var feld = b.getAttribute("data-feld-box");
    if (wartet[feld] && !(e.relatedTarget && b.contains(e.relatedTarget))) { refresh(feld, null, true); }
  });
  function show(feld, wert, version, von, sofort) {
    var form = forms[feld];
    if (!form || form.hasAttribute("data-mehrteilig")) { refresh(feld, null, sofort); return; }
    var input = form.elements.wert;
    var text = wert === true ? "ja" : wert === false ? "nein" : (wert === null || wert === undefined ? "" : String(wert));
    if (typeof wert === "object" && wert !== null) { text = JSON.stringify(wert); }
    if (input.value !== text) { input.value = text; }
    form.elements.version.value = version;
    if (von) { note(feld, "Zuletzt geändert von " + von); }
  }
  // What the form's conditions show now: a field no longer asked says so, and its
  // controls are hidden (out of the tab order) until it is asked again.
  function inhalt(feld, zeigen) {
    var b = box(feld);
    var teil = b ? b.querySelector("[data-inhalt]") : null;
    if (!teil) { return; }
    if (!zeigen && teil.contains(document.activeElement)) { document.activeElement.blur(); }
    teil.hidden = !zeigen;
  }
  function gezeigt(ids) {
    if (!ids) { return; }
    var set = {};
    ids.forEach(function (id) { set[id] = true; });
    Array.prototype.forEach.call(root.querySelectorAll("[data-bedingung]"), function (p) {
      var feld = p.getAttribute("data-bedingung");
      var b = box(feld);
      if (set[feld]) {
        p.hidden = true; p.textContent = "";
        if (b) { b.removeAttribute("data-nicht-gezeigt"); }
        inhalt(feld, true);
      } else {
        p.hidden = false;
        p.textContent = "Nach den bisherigen Angaben wird „" + label(feld) + "“ nicht gefragt.";
        if (b) { b.setAttribute("data-nicht-gezeigt", ""); }
        inhalt(feld, false);
      }
    });
  }

  function bind(form) {
    var feld = form.getAttribute("data-feld");
    var mehrteilig = form.hasAttribute("data-mehrteilig");
    var input = mehrteilig ? form : form.elements.wert;
    var timer = null, busy = false, again = false, knopf = null;
    forms[feld] = form;
    if (!mehrteilig) {
      // Sent as one types: the button is for pages without script (KERN's button styles
      // would override the hidden attribute, so it goes).
      Array.prototype.forEach.call(form.querySelectorAll("[data-ohne-skript]"), function (b) { b.remove(); });
    }
    function send() {
      window.clearTimeout(timer);
      if (busy) { again = true; return; }
      busy = true;
      form.setAttribute("data-sending", "1");
      var submitter = knopf; knopf = null;
      post(form, submitter).then(function (res) {
        if (res.ok) {
          form.elements.version.value = res.body.version;
          note(feld, "Gespeichert");
          if (mehrteilig && !again) { refresh(feld, function () { note(feld, "Gespeichert"); }); }
        } else if (res.body.aktuell) {
          show(feld, res.body.aktuell.wert, res.body.aktuell.version, res.body.aktuell.von, true);
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
    if (!mehrteilig) {
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(send, 250);
      });
    }
    input.addEventListener("change", send);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      knopf = e.submitter && e.submitter.name ? e.submitter : null;
      send();
    });
  }
  Array.prototype.forEach.call(root.querySelectorAll("form[data-feld]"), bind);

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
    gezeigt(d.gezeigt);
    if (d.autor === ich && d.quelle !== "formular") {
      // Our own write coming back: only the version, the field may already hold more typing.
      if (form && Number(form.elements.version.value) < d.version) { form.elements.version.value = d.version; }
      return;
    }
    show(d.feld, d.wert, d.version, d.von);
    say(d.autor === ich
      ? "Ihre Änderung an „" + label(d.feld) + "“ im Formular ist übernommen."
      : d.von + " hat „" + label(d.feld) + "“ geändert.");
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

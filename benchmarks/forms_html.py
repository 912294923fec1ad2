"""Formulare: a step as HTML (``koffer.forms.darstellung.schritt_html``) against Django
rendering a template with as many plain inputs as the step has controls, in the same run.

Data: the synthetic form of ``_forms_muster`` (6 steps, 150 fields of every type, two
tables of 8 and 10 rows, conditions, rules), every shown field answered. A round renders
every step once with the answers and no errors, then every step with an error at every
field (the summary and the messages at the fields); the baseline renders its template for
each step in the same round, so other load on the machine falls on both alike.

- ``p50_ms``/``p95_ms``: one step (all steps, with and without errors);
  ``fehler_p95_ms`` the steps with errors alone; ``max_ms`` the slowest; ``cpu_p50_ms``/
  ``cpu_p95_ms`` the same in this process's CPU time (moved less by other load);
- ``baseline_ms``: the plain template with as many ``<label>``/``<input>`` pairs (median);
- ``ratio``: the step's median over the baseline's (the cost of labels, help, ARIA,
  fieldsets and tables over bare inputs); ``ratio_cpu`` of the CPU times;
- ``lesen_ms``: ``antworten_aus_post`` of a step's POST (median);
- ``first_ms``: the very first step, templates read and compiled;
- ``controls``: inputs, selects and textareas of all steps (the baseline renders as many),
  ``kb``: the HTML of all steps.

Target (issue 17): p95 <= 50 ms a step.
"""

from __future__ import annotations

import time

from django.template import Context, Engine
from tests.forms.muster import CONTROLS, html_baum, post_aus_html

from benchmarks import _forms_muster as muster
from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized
from koffer.forms.darstellung import antworten_aus_post, schritt_html
from koffer.forms.definition import pruefen

NAME = "forms_html"
ROUNDS = sized(40, 1)
TARGET_P95_MS = 50.0
BASELINE = """{% for i in inputs %}<div class="kern-form-input">
  <label class="kern-label" for="{{ i.id }}">{{ i.label }}</label>
  <input class="kern-form-input__input" type="text" id="{{ i.id }}" name="{{ i.id }}" value="{{ i.wert }}">
</div>
{% endfor %}"""


def run() -> None:
    definition = muster.definition()
    antworten = muster.antworten()
    personen = frozenset(p for p, _ in muster.PERSONEN)
    vorher = pruefen(definition, antworten, heute=muster.HEUTE, personen=personen)
    assert vorher.ok, vorher.fehler
    schritte = [s.id for s in definition.schritte]
    fehler = {  # a message at every field of the step, and at a cell of each table
        s.id: {
            f.id: [f"„{f.id}“: Bitte prüfen Sie diese Angabe."]
            for f in s.felder
            if f.typ not in ("hinweis", "tabelle")
        }
        for s in definition.schritte
    }
    for tabelle in ("tabelle_einkommen", "tabelle_kosten"):
        schritt = definition.felder[tabelle].schritt
        fehler[schritt][f"{tabelle}[2].betrag"] = ["Zeile 3: Bitte geben Sie einen Betrag an."]

    def zeige(schritt: str, mit_fehlern: bool) -> str:
        return schritt_html(
            definition,
            schritt,
            antworten=antworten,
            fehler=fehler[schritt] if mit_fehlern else {},
            vorbelegt={"text_1_1": "person.vorname", "iban_1_12": "frueher"},
            personen=muster.PERSONEN,
            heute=muster.HEUTE,
        )

    began = time.perf_counter()
    zeige(schritte[0], False)
    first_ms = (time.perf_counter() - began) * 1000
    html = {s: zeige(s, False) for s in schritte}
    posts = {s: post_aus_html(h) for s, h in html.items()}
    anzahl = {s: len(html_baum(h).xpath(CONTROLS)) for s, h in html.items()}
    baseline = Engine(autoescape=True).from_string(BASELINE)
    eingaben = {
        s: [{"id": f"e{i}", "label": f"Angabe {i}", "wert": f"Wert {i}"} for i in range(n)]
        for s, n in anzahl.items()
    }
    # what the steps show reads back as the same answers (files are the page's)
    gelesen = {"nachweise": antworten["nachweise"]}
    for schritt in schritte:
        gelesen |= antworten_aus_post(definition, schritt, posts[schritt])
    nachher = pruefen(definition, gelesen, heute=muster.HEUTE, personen=personen)
    assert set(gelesen) == set(antworten) and nachher.werte == vorher.werte, nachher.fehler

    ohne, mit, basis, lesen = muster.Uhr(), muster.Uhr(), muster.Uhr(), muster.Uhr()
    for _ in range(ROUNDS):
        for s in schritte:
            ohne(zeige, s, False)
            basis(baseline.render, Context({"inputs": eingaben[s]}))
            mit(zeige, s, True)
            lesen(antworten_aus_post, definition, s, posts[s])
    alle = ohne.wand + mit.wand
    cpu = ohne.cpu + mit.cpu
    p95 = percentile(alle, 95)
    note(f"{len(schritte)} Schritte, {len(definition.felder)} Felder, {ROUNDS} Runden")
    emit(
        NAME,
        steps=len(alle),
        fields=len(definition.felder),
        controls=sum(anzahl.values()),
        kb=sum(len(zeige(s, False)) for s in schritte) / 1024,
        p50_ms=percentile(alle, 50),
        p95_ms=p95,
        fehler_p95_ms=percentile(mit.wand, 95),
        max_ms=max(alle),
        cpu_p50_ms=percentile(cpu, 50),
        cpu_p95_ms=percentile(cpu, 95),
        baseline_ms=percentile(basis.wand, 50),
        ratio=percentile(alle, 50) / percentile(basis.wand, 50),
        ratio_cpu=percentile(cpu, 50) / percentile(basis.cpu, 50),
        lesen_ms=percentile(lesen.wand, 50),
        first_ms=first_ms,
        target=f"p95<={TARGET_P95_MS:.0f}ms",
        met=p95 <= TARGET_P95_MS,
    )

"""„Jetzt abholen“ and „Jetzt abgleichen“ as jobs of the worker (``koffer.jobs``), with the
steps as progress („Dateien senden 3 von 20“, „Änderungen senden“, „Abholen 120 von 340
Dateien“). A failed job can be retried: the pull resumes its part files, the push waits
in its payload file and goes again with the same ``abgleich_id``."""

from __future__ import annotations

from koffer.accounts.roles import Perm
from koffer.field.unterwegs import ablauf
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome

ABHOLEN = "field.abholen"
ABGLEICHEN = "field.abgleichen"
ARTEN = (ABHOLEN, ABGLEICHEN)


def _ausfuehren(run: JobRun, art: str) -> Outcome:
    if fehler := ablauf.nur_im_koffer("Abholen und Abgleichen"):
        raise JobError(fehler)
    stand = {"done": 0, "total": 0}

    def schritt(text: str, done: int, total: int) -> None:
        stand.update(done=done, total=total)
        run.progress(done, total or None, text)

    def melden(text: str) -> None:
        if not text.endswith("…"):  # the per-file lines come as steps
            run.progress(stand["done"], stand["total"] or None, text)

    try:
        buero = ablauf.zugang()
        if art == ABHOLEN:
            bericht = ablauf.abholen(buero=buero, melden=melden, schritt=schritt)
        else:
            bericht = ablauf.abgleichen(buero=buero, melden=melden, schritt=schritt)
    except ablauf.Fehlgeschlagen as exc:
        raise JobError(exc.message) from None
    if bericht.abgelehnt:
        raise JobError(
            " ".join(
                [
                    *bericht.abgelehnt,
                    f"{len(bericht.abgelehnt)} Dateien abgelehnt; bitte den Auftrag wiederholen.",
                ]
            )
        )
    zeilen = [*bericht.gemeldet, *bericht.zeilen, *bericht.hinweise]
    return Outcome("\n".join(zeilen), needs_attention=bool(bericht.konflikte or bericht.hinweise))


def _abholen(run: JobRun) -> Outcome:
    return _ausfuehren(run, ABHOLEN)


def _abgleichen(run: JobRun) -> Outcome:
    return _ausfuehren(run, ABGLEICHEN)


def register_job_kinds() -> None:
    registry.register(
        registry.JobKind(
            code=ABHOLEN,
            label="Koffer: jetzt abholen",
            description="Holt die ausgeliehenen Akten mit ihren Dateien, den Formularkatalog"
            " und die Vorlagen aus dem Büro auf diesen Koffer.",
            handler=_abholen,
            permission=Perm.FIELD_CHECKOUT,
            offered=False,
        )
    )
    registry.register(
        registry.JobKind(
            code=ABGLEICHEN,
            label="Koffer: jetzt abgleichen",
            description="Sendet die Änderungen dieses Koffers ins Büro und holt danach den"
            " Stand des Büros.",
            handler=_abgleichen,
            permission=Perm.FIELD_CHECKOUT,
            offered=False,
        )
    )

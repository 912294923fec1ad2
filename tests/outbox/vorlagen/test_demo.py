"""The demo's letterheads, text blocks and templates: every template publishes without a
mistake, through the same checks as an administrator's text."""

from __future__ import annotations

from koffer.demo import outbox as demo_outbox
from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage
from koffer.outbox.vorlagen import selectors
from koffer.tenancy.models import Mandant
from tests import factories


def test_every_demo_template_publishes_without_mistakes(db: None) -> None:
    kreis = factories.mandant("Landkreis Musterland")
    jobcenter = factories.mandant("Jobcenter Musterland", kind=Mandant.Kind.JOBCENTER)
    stadt = factories.mandant("Stadt Beispielstadt", kind=Mandant.Kind.GEMEINDE)
    jugendamt = factories.unit(kreis, "Jugendamt")
    asd = factories.unit(kreis, "ASD Nord", parent=jugendamt)
    factories.unit(kreis, "Sozialamt")
    factories.user(kreis, role="mandant_admin", username="admin.kreis")
    factories.user(jobcenter, role="mandant_admin", username="admin.jobcenter")
    mandanten = {
        demo_outbox.KREIS: kreis,
        demo_outbox.JOBCENTER: jobcenter,
        demo_outbox.STADT: stadt,
    }

    demo_outbox.load(mandanten)

    for tenant, count in ((jobcenter, 4), (kreis, 8)):
        vorlagen = list(Vorlage.objects.for_tenant(tenant).select_related("aktuelle_version"))
        assert len(vorlagen) == count
        assert all(v.aktuelle_version and v.aktuelle_version.nummer == 1 for v in vorlagen)
    bewilligung = Vorlage.objects.for_tenant(jobcenter).get(code="bewilligung")
    assert (bewilligung.art, str(bewilligung.vier_augen_ab)) == ("bescheid", "5000.00")
    assert bewilligung.aktuelle_version is not None
    assert bewilligung.aktuelle_version.bausteine == ["rechtsbehelf-sgb2"]
    mitwirkung = Vorlage.objects.for_tenant(kreis).get(code="sa-mitwirkung")
    assert mitwirkung.aktuelle_version is not None
    assert "frist" in [f["key"] for f in mitwirkung.aktuelle_version.felder]
    assert set(Textbaustein.objects.for_tenant(kreis).values_list("code", flat=True)) == {
        "rechtsbehelf-sgb8",
        "rechtsbehelf-sgb12",
        "mitwirkungsfolgen",
    }
    head = selectors.briefkopf_fuer(asd)
    assert head is not None and head.abteilung == "Jugendamt"
    assert all(h.logo_svg.startswith("<svg") for h in Briefkopf.objects.for_tenant(kreis))
    assert Briefkopf.objects.for_tenant(stadt).count() == 1

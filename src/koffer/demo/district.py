"""Landkreis Musterland: a fictional district with its authorities, providers and staff."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.accounts.roles import ROLES
from koffer.demo import besuche as demo_besuche
from koffer.demo import briefe as demo_briefe
from koffer.demo import formulare as demo_formulare
from koffer.demo import inbox as demo_inbox
from koffer.demo import koffer as demo_koffer
from koffer.demo import migration as demo_migration
from koffer.demo import outbox as demo_outbox
from koffer.demo import placements as demo_placements
from koffer.demo import portal as demo_portal
from koffer.demo import records as demo_records
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

DEMO_PASSWORD = "Musterland-2026"  # noqa: S105 - fictional demo data only; printed by `make run`
KREIS_SLUG = "landkreis-musterland"

# Mandant slug, name, kind, Leitweg-ID, unit tree as (name, kind, children)
Tree = list[tuple[str, str, "Tree"]]
T = Organisationseinheit.Kind

MANDANTEN: list[tuple[str, str, str, str, Tree]] = [
    (
        KREIS_SLUG,
        "Landkreis Musterland",
        Mandant.Kind.KREIS,
        "09999000-KREIS-21",
        [
            (
                "Jugendamt",
                T.AMT,
                [
                    ("ASD Nord", T.TEAM, []),
                    ("ASD Süd", T.TEAM, []),
                    ("Wirtschaftliche Jugendhilfe", T.TEAM, []),
                ],
            ),
            ("Gesundheitsamt", T.AMT, [("Infektionsschutz", T.TEAM, [])]),
            (
                "Sozialamt",
                T.AMT,
                [("Schwerbehindertenrecht", T.TEAM, []), ("Hilfe zur Pflege", T.TEAM, [])],
            ),
            ("Poststelle", T.TEAM, []),
            ("Datenschutz", T.TEAM, []),
            ("Zentrale Dienste", T.TEAM, []),
        ],
    ),
    (
        "jobcenter-musterland",
        "Jobcenter Musterland",
        Mandant.Kind.JOBCENTER,
        "09999000-JC-07",
        [
            ("Leistung", T.AMT, [("Leistungsteam 1", T.TEAM, []), ("Leistungsteam 2", T.TEAM, [])]),
            ("Markt und Integration", T.AMT, []),
            ("Eingangszone", T.TEAM, []),
        ],
    ),
    (
        "stadt-beispielstadt",
        "Stadt Beispielstadt",
        Mandant.Kind.GEMEINDE,
        "",
        [("Bürgerbüro", T.TEAM, [])],
    ),
    ("gemeinde-am-see", "Gemeinde Am See", Mandant.Kind.GEMEINDE, "", [("Bürgerbüro", T.TEAM, [])]),
    (
        "gemeinde-talheim",
        "Gemeinde Talheim",
        Mandant.Kind.GEMEINDE,
        "",
        [("Bürgerbüro", T.TEAM, [])],
    ),
    (
        "sonnenhof",
        "Kinder- und Jugendhilfe Sonnenhof e. V.",
        Mandant.Kind.TRAEGER,
        "",
        [
            ("Wohngruppe Lindenweg", T.EINRICHTUNG, []),
            ("Inobhutnahmestelle Am Markt", T.EINRICHTUNG, []),
        ],
    ),
    (
        "diakonie-musterland",
        "Diakonie Musterland gGmbH",
        Mandant.Kind.TRAEGER,
        "",
        [
            ("Mutter-Kind-Haus Talheim", T.EINRICHTUNG, []),
            ("Tagesgruppe Am See", T.EINRICHTUNG, []),
        ],
    ),
    (
        "landesjugendamt",
        "Landesjugendamt Musterland",
        Mandant.Kind.LANDESJUGENDAMT,
        "",
        [("Heimaufsicht", T.TEAM, [])],
    ),
    (
        "ministerium",
        "Ministerium für Soziales Musterland",
        Mandant.Kind.MINISTERIUM,
        "",
        [("Referat Kinder- und Jugendhilfe", T.TEAM, [])],
    ),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    grants: tuple[tuple[str, str, str], ...]  # (mandant slug, unit name, role)
    machine: bool = False


USERS: list[DemoUser] = [
    DemoUser(
        "admin.kreis", "Katrin", "Adler", ((KREIS_SLUG, "Zentrale Dienste", "mandant_admin"),)
    ),
    DemoUser("sb.jugendamt", "Jonas", "Berger", ((KREIS_SLUG, "ASD Nord", "sachbearbeitung"),)),
    DemoUser("tl.jugendamt", "Tanja", "Lorenz", ((KREIS_SLUG, "Jugendamt", "teamleitung"),)),
    DemoUser(
        "sb.sozialamt",
        "Serkan",
        "Öztürk",
        ((KREIS_SLUG, "Schwerbehindertenrecht", "sachbearbeitung"),),
    ),
    DemoUser(
        "sb.gesundheitsamt",
        "Greta",
        "Hansen",
        ((KREIS_SLUG, "Infektionsschutz", "sachbearbeitung"),),
    ),
    DemoUser("dsb.kreis", "Dana", "Schreiber", ((KREIS_SLUG, "Datenschutz", "datenschutz"),)),
    # The shared mail room works for the Kreis and the Jobcenter: one person, two Mandanten.
    DemoUser(
        "post.zentral",
        "Paul",
        "Stein",
        (
            (KREIS_SLUG, "Poststelle", "poststelle"),
            ("jobcenter-musterland", "Eingangszone", "poststelle"),
        ),
    ),
    DemoUser(
        "admin.jobcenter",
        "Jana",
        "Albrecht",
        (("jobcenter-musterland", "Jobcenter Musterland", "mandant_admin"),),
    ),
    DemoUser(
        "sb.jobcenter",
        "Lea",
        "Wagner",
        (("jobcenter-musterland", "Leistungsteam 1", "sachbearbeitung"),),
    ),
    DemoUser(
        "tl.jobcenter", "Tim", "Krause", (("jobcenter-musterland", "Leistung", "teamleitung"),)
    ),
    DemoUser(
        "sb.beispielstadt",
        "Bernd",
        "Vogel",
        (("stadt-beispielstadt", "Bürgerbüro", "sachbearbeitung"),),
    ),
    # The town's field worker visits citizens at home with a Koffer (issue 18).
    DemoUser(
        "aussendienst",
        "Anke",
        "Reisinger",
        (("stadt-beispielstadt", "Bürgerbüro", "aussendienst"),),
    ),
    DemoUser(
        "platz.sonnenhof",
        "Sophie",
        "Hofmann",
        (("sonnenhof", "Kinder- und Jugendhilfe Sonnenhof e. V.", "platzverwaltung"),),
    ),
    DemoUser(
        "platz.diakonie",
        "David",
        "Klein",
        (("diakonie-musterland", "Diakonie Musterland gGmbH", "platzverwaltung"),),
    ),
    DemoUser(
        "lja.heimaufsicht",
        "Lara",
        "Jung",
        (("landesjugendamt", "Heimaufsicht", "landesjugendamt"),),
    ),
    DemoUser(
        "statistik.ministerium",
        "Max",
        "Richter",
        (("ministerium", "Referat Kinder- und Jugendhilfe", "statistik"),),
    ),
    # The scan provider works for the shared mail room's two Mandanten.
    DemoUser(
        "scan.dienstleister",
        "",
        "",
        (
            (KREIS_SLUG, "Poststelle", "scandienst"),
            ("jobcenter-musterland", "Eingangszone", "scandienst"),
        ),
        machine=True,
    ),
    DemoUser(
        "druck.dienstleister",
        "",
        "",
        ((KREIS_SLUG, "Zentrale Dienste", "druckdienst"),),
        machine=True,
    ),
]


@dataclass(frozen=True)
class DemoLogin:
    """One demo person as the login hints list them under one Mandant."""

    username: str
    name: str
    roles: str  # German role names with their units, e.g. "Sachbearbeitung, ASD Nord"


def logins_by_mandant() -> list[tuple[str, list[DemoLogin]]]:
    """The people who can sign in, under the name of each Mandant they work for (someone
    in two Mandanten, like the shared mail room, under both), in the order of MANDANTEN."""
    groups: list[tuple[str, list[DemoLogin]]] = []
    for slug, mandant_name, *_ in MANDANTEN:
        logins = [
            DemoLogin(
                user.username,
                f"{user.first_name} {user.last_name}",
                "; ".join(
                    _role_in(ROLES[role].label, unit, mandant_name)
                    for s, unit, role in user.grants
                    if s == slug
                ),
            )
            for user in USERS
            if not user.machine and any(s == slug for s, _, _ in user.grants)
        ]
        if logins:
            groups.append((mandant_name, logins))
    return groups


def _role_in(label: str, unit: str, mandant_name: str) -> str:
    """The unit only where it says more than the role or the Mandant already does."""
    return label if unit in (label, mandant_name) else f"{label}, {unit}"


def is_loaded() -> bool:
    return Mandant.objects.filter(slug=KREIS_SLUG).exists()


def _build_tree(mandant: Mandant, parent: Organisationseinheit, tree: Tree) -> None:
    for name, kind, children in tree:
        unit = tenancy.create_unit(actor=None, tenant=mandant, parent=parent, name=name, kind=kind)
        _build_tree(mandant, unit, children)


def load() -> list[DemoUser]:
    """Create the demo district in one transaction; returns the people who can sign in."""
    with transaction.atomic():
        mandanten: dict[str, Mandant] = {}
        for slug, name, kind, leitweg, tree in MANDANTEN:
            mandant = tenancy.create_mandant(
                actor=None, slug=slug, name=name, kind=kind, leitweg_id=leitweg
            )
            root = Organisationseinheit.objects.for_tenant(mandant).get(parent=None)
            _build_tree(mandant, root, tree)
            mandanten[slug] = mandant
        for demo in USERS:
            _create_user(demo, mandanten)
        demo_records.load(mandanten)
        demo_placements.load(mandanten)
        inbox_jobs = demo_inbox.load(mandanten)
        demo_migration.load(mandanten)
        demo_outbox.load(mandanten)
        demo_formulare.load(mandanten)
        demo_besuche.load(mandanten)
        demo_portal.load(mandanten)
        demo_koffer.load()
        serien = demo_briefe.load(mandanten)
        inbox_jobs += demo_inbox.ruecklaeufer(mandanten)
        auszug = demo_records.order_auszug(mandanten)
    # After the commit: the job runner claims the committed job row like a worker would.
    demo_records.finish(auszug)
    demo_inbox.finish(inbox_jobs)
    demo_briefe.finish(serien)
    return [u for u in USERS if not u.machine]


def _unit(mandant: Mandant, name: str) -> Organisationseinheit:
    return Organisationseinheit.objects.for_tenant(mandant).get(name=name)


def _create_user(demo: DemoUser, mandanten: dict[str, Mandant]) -> User:
    slug, unit_name, role = demo.grants[0]
    mandant = mandanten[slug]
    user = accounts.create_user(
        actor=None,
        tenant=mandant,
        username=demo.username,
        first_name=demo.first_name,
        last_name=demo.last_name,
        email=None if demo.machine else f"{demo.username}@musterland.example",
        password=None if demo.machine else DEMO_PASSWORD,
        unit=_unit(mandant, unit_name),
        role=role,
        is_machine=demo.machine,
        must_change_password=False,  # the demo's people share one published password
    )
    for slug, unit_name, role in demo.grants[1:]:
        accounts.add_membership(
            actor=None, user=user, unit=_unit(mandanten[slug], unit_name), role=role
        )
    return user

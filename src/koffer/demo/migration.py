"""Demo data of the migration from the previous specialist software: the administrations
of the Jobcenter (persons, a Bedarfsgemeinschaft, Leistungsakten) and of the Kreis (the
Schwerbehindertenrecht's persons and Akten) have checked a small export in a dry run, with
rows rejected, and not yet started the import, so the report can be seen and tried."""

from __future__ import annotations

from koffer.accounts.models import User
from koffer.inbox.migration import services
from koffer.tenancy.models import Mandant, Organisationseinheit

JOBCENTER = "jobcenter-musterland"
KREIS = "landkreis-musterland"
PERSONEN = """person_id;familienname;vornamen;geburtsname;geburtsdatum;kundennummer;strasse;plz;ort
ALT-P-1001;Krüger;Sabine;Hoffmann;14.05.1977;123D100001;Lindenstraße 4;12345;Musterstadt
ALT-P-1002;Krüger;Leon;;02.09.2010;;Lindenstraße 4;12345;Musterstadt
ALT-P-1003;Nowak;Piotr;;30.02.1969;123D100003;Am Bahnhof 1;12345;Musterstadt
ALT-P-1004;;Maria;;11.11.1990;;;;
"""
BEDARFSGEMEINSCHAFTEN = """bg_nummer;person_id;rolle
ALT-BG-501;ALT-P-1001;antragsteller
ALT-BG-501;ALT-P-1002;kind
"""
AKTEN = """akte_id;titel;aktenplan;einheit;bg_nummer;personen;eroeffnet_am
LA-2018-00417;Leistungsakte Krüger;50.2.1;Leistungsteam 2;ALT-BG-501;ALT-P-1001,ALT-P-1002;01.03.2018
LA-2019-00088;Leistungsakte Nowak;50.2.1;;;ALT-P-1003;15.01.2019
"""

KREIS_PERSONEN = """person_id;familienname;vornamen;geburtsdatum;strasse;plz;ort
SB-4711;Schäfer;Helga;03.03.1958;Kirchweg 2;12346;Talheim
SB-4712;Özdemir;Cem;17.08.1984;Seestraße 9;12347;Am See
"""
KREIS_AKTEN = """akte_id;titel;aktenplan;einheit;personen;eroeffnet_am
SB-2017-0815;Feststellung GdB Schäfer;52.1;Schwerbehindertenrecht;SB-4711;12.06.2017
SB-2020-0042;Feststellung GdB Özdemir;52.1;Versorgungsamt;SB-4712;01.02.2020
"""


def load(mandanten: dict[str, Mandant]) -> None:
    _check(
        mandanten[JOBCENTER],
        "admin.jobcenter",
        "Leistungsteam 1",
        [
            services.Upload("personen.csv", PERSONEN.encode("utf-8-sig")),
            services.Upload("bedarfsgemeinschaften.csv", BEDARFSGEMEINSCHAFTEN.encode("cp1252")),
            services.Upload("akten.csv", AKTEN.encode()),
        ],
    )
    _check(
        mandanten[KREIS],
        "admin.kreis",
        "Schwerbehindertenrecht",
        [
            services.Upload("personen.csv", KREIS_PERSONEN.encode("cp1252")),
            services.Upload("akten.csv", KREIS_AKTEN.encode("utf-8-sig")),
        ],
    )


def _check(tenant: Mandant, username: str, unit: str, uploads: list[services.Upload]) -> None:
    services.check_import(
        actor=User.objects.get(username=username),
        access=None,
        tenant=tenant,
        uploads=uploads,
        default_unit=Organisationseinheit.objects.for_tenant(tenant).get(name=unit),
    )

"""Search as caseworkers type (issue 14): one spelling for index and query.

``koffer_fold(text)`` is ``koffer.records.suche.backends.folding.fold`` in SQL: on SQLite
the Python function itself, registered on every connection (``records.apps``); on
PostgreSQL the IMMUTABLE function below, written from the same table (frozen here: a test
compares it with ``folding.postgres_function_sql()``; a change of the table needs a new
migration). The Akte finder's name index now folds with it ("Yilmaz" finds "Yılmaz",
"Mueller" finds "Müller").

The full-text index now holds folded words (both databases), and on SQLite the FTS5 table
gets prefix indexes (lengths 3 to 12: a word of four letters or more also matches its
compounds, "Heizkosten" finds "Heizkostenabrechnung", and such a prefix must stream like
a word). So every document is indexed again, here, in batches (``search.reindex``).
``manage.py search_index`` shows the state, ``--rebuild`` repeats it.
"""

from django.db import migrations

FOLD_FUNCTION = "CREATE OR REPLACE FUNCTION koffer_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN lower(translate(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(normalize($1, NFC), 'Ä', 'ae'), 'Æ', 'ae'), 'Ö', 'oe'), 'Ü', 'ue'), 'Þ', 'th'), 'ß', 'ss'), 'ä', 'ae'), 'æ', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'þ', 'th'), 'Œ', 'oe'), 'œ', 'oe'), 'ẞ', 'ss'), 'ÀÁÂÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÙÚÛÝàáâãåçèéêëìíîïñòóôõùúûýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹıłŁøØđĐðÐħĦŀĿ̴̵̶̷̸̡̢̧̨̛̖̗̘̙̜̝̞̟̠̣̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼͇͈͉͍͎̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌̕̚ͅ͏͓͔͕͖͙͚͐͑͒͗͛ͣͤͥͦͧͨͩͪͫͬͭͮͯ͘͜͟͢͝͞͠͡', 'AAAAACEEEEIIIINOOOOUUUYaaaaaceeeeiiiinoooouuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzsOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwysAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYyillooddddhhll'))"

OLD_FOLDED = "replace(replace(replace(lower(family_name), 'Ä', 'ä'), 'Ö', 'ö'), 'Ü', 'ü')"

FORWARD = {
    "sqlite": [
        "DROP INDEX IF EXISTS records_person_folded_idx",
        "CREATE INDEX records_person_folded_idx ON records_person "
        "(tenant_id, koffer_fold(family_name))",
    ],
    "postgresql": [
        FOLD_FUNCTION,
        "DROP INDEX IF EXISTS records_person_folded_idx",
        "CREATE INDEX records_person_folded_idx ON records_person "
        "(tenant_id, (koffer_fold(family_name)) text_pattern_ops)",
    ],
}

# SQLite: the FTS5 table again, with prefix indexes (every word of four letters or more is
# a prefix query now, for compounds). Emptied without its triggers (deleting row by row
# through them would take every word out of FTS5 one by one), then filled by the reindex.
FTS_TRIGGERS = [
    """
    CREATE TRIGGER records_search_text_ai AFTER INSERT ON records_search_text BEGIN
      INSERT INTO records_search_fts (rowid, title_stems, body_stems)
      VALUES (new.id, new.title_stems, new.body_stems);
    END
    """,
    """
    CREATE TRIGGER records_search_text_ad AFTER DELETE ON records_search_text BEGIN
      INSERT INTO records_search_fts (records_search_fts, rowid, title_stems, body_stems)
      VALUES ('delete', old.id, old.title_stems, old.body_stems);
    END
    """,
    """
    CREATE TRIGGER records_search_text_au AFTER UPDATE ON records_search_text BEGIN
      INSERT INTO records_search_fts (records_search_fts, rowid, title_stems, body_stems)
      VALUES ('delete', old.id, old.title_stems, old.body_stems);
      INSERT INTO records_search_fts (rowid, title_stems, body_stems)
      VALUES (new.id, new.title_stems, new.body_stems);
    END
    """,
]
FTS_EMPTIED = [
    "DROP TRIGGER records_search_text_ai",
    "DROP TRIGGER records_search_text_ad",
    "DROP TRIGGER records_search_text_au",
    "DROP TABLE records_search_fts",
    "DELETE FROM records_search_text",
    "DELETE FROM records_search_entry",
]


def _fts(prefix):
    return f"""
    CREATE VIRTUAL TABLE records_search_fts USING fts5(
      title_stems, body_stems,
      content='records_search_text', content_rowid='id',
      tokenize='unicode61 remove_diacritics 0'{prefix}
    )
    """


EMPTY = {
    "sqlite": [*FTS_EMPTIED, _fts(",\n      prefix='3 4 5 6 7 8 9 10 11 12'"), *FTS_TRIGGERS],
    "postgresql": ["DELETE FROM records_search_entry"],
}
EMPTY_BACKWARD = {
    "sqlite": [*FTS_EMPTIED, _fts(""), *FTS_TRIGGERS],
    "postgresql": ["DELETE FROM records_search_entry"],
}

BACKWARD = {
    "sqlite": [
        "DROP INDEX IF EXISTS records_person_folded_idx",
        f"CREATE INDEX records_person_folded_idx ON records_person (tenant_id, {OLD_FOLDED})",
    ],
    "postgresql": [
        "DROP INDEX IF EXISTS records_person_folded_idx",
        f"CREATE INDEX records_person_folded_idx ON records_person "
        f"(tenant_id, ({OLD_FOLDED}) text_pattern_ops)",
        "DROP FUNCTION IF EXISTS koffer_fold(text)",
    ],
}


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


def _reindex(statements):
    def run(apps, schema_editor):
        """Every document again, in the search spelling (the service's own indexer: the
        index is the service's, not a model's), into an index emptied first."""
        from koffer.records.suche import services as search

        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)
        search.reindex()

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0006_aktenauszug_pdfa_none"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        migrations.RunPython(_reindex(EMPTY), _reindex(EMPTY_BACKWARD)),
    ]

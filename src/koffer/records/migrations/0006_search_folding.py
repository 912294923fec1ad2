"""Search as caseworkers type (issue 14): one spelling for index and query.

``koffer_fold(text)`` is ``koffer.records.search_backends.folding.fold`` in SQL: on SQLite
the Python function itself, registered on every connection (``records.apps``); on
PostgreSQL the IMMUTABLE function below, written from the same table (frozen here: a test
compares it with ``folding.postgres_function_sql()``; a change of the table needs a new
migration). The Akte finder's name index now folds with it ("Yilmaz" finds "Yılmaz",
"Mueller" finds "Müller").

The full-text index now holds folded words (both databases), so every document is indexed
again, here, in batches (``search.reindex``): about a minute per 100,000 documents on
SQLite. ``manage.py search_index`` shows the state, ``--rebuild`` repeats it.
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


def reindex(apps, schema_editor):
    """Every document again, in the search spelling (the service's own indexer: the index
    is the service's, not a model's)."""
    from koffer.records import search

    search.clear()
    search.reindex()


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0005_upload_key"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        migrations.RunPython(reindex, reindex),
    ]

"""Posteingang (inbox): everything that enters koffer arrives here as an idempotent
delivery with a protocol, so that "nothing lost, nothing twice" is proven in one place.

First increment (issue 15, item 1, ``lieferung``): a scan provider delivers batches of
scanned files (PDF or TIFF) with a transfer note, the Lieferschein, by API
(``POST /api/v1/posteingang/stapel``) or through a drop folder (``manage.py inbox_watch``,
rule in ``lieferung/ordner.py``). Each batch is checked against its Lieferschein in a job.

The Lieferschein is UTF-8 JSON, kept verbatim with its SHA-256 (BSI TR-RESISCAN)::

    {
      "version": 1,                       # optional, only 1 is understood
      "art": "post",                      # optional: "post" (default), "rueckscan":
                                          # paper files scanned in bulk, each file's
                                          # documents starting with their Deckblatt,
                                          # or "rueckpost": returned mail only (letters
                                          # of koffer the Post brought back)
      "stapel_id": "2026-11-25-0001",     # the provider's batch id, unique per provider
      "scan_datum": "2026-11-25",         # day of scanning
      "operator": "M. Muster",            # who scanned
      "scanner": "Fujitsu fi-7600 Nr. 3", # which device
      "qualitaetspruefung": {             # the provider's quality check, kept as given
        "ergebnis": "bestanden",          # or "nicht_bestanden"
        "bemerkung": "Stichprobe 10 %"    # any further fields are kept too
      },
      "dateien": [                        # 1 to 2,000 files
        {"name": "0001.pdf", "seiten": 3, "sha256": "<64 hex digits>"},
        {"name": "0002.pdf", "seiten": 1, "sha256": "<64 hex digits>",
         "rueckpost": true}               # optional: this file holds returned mail
      ]
    }

States of a batch: ``angenommen`` (files stored, check pending) → ``in_pruefung`` →
``verarbeitet`` (every file as declared), ``mit_problemen`` (some file missing, extra,
altered, unreadable, encrypted or with other page counts, or the quality check failed),
``quarantaene`` (no file usable). A file's problem never stops the rest of its batch.
"""

"""Rückscan (issue 15, item 6): existing paper files scanned in bulk, site by site.

``deckblatt`` is the cover sheet's QR code (``KOFFER:R1:<Aktenzeichen>:<mac>``), ``pdf``
typesets the sheets, ``trennung`` splits a Rückscan batch at its Deckblätter (pure),
``services`` prints (and so plans) and files, ``selectors`` reads the Akten to print for
and the rollout per Standort (``Stand``), ``views``/``api`` are thin.

A Rückscan batch is a batch whose Lieferschein says ``"art": "rueckscan"``: each paper
file starts with its Deckblatt, and the pages up to the next Deckblatt are one document
filed into that Akte (source Scan, kind „Rückscan“, no Wiedervorlage), the Deckblatt
page removed and the original page order kept.
"""

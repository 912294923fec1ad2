"""Returned mail (Rückläufer): one of koffer's letters the Post brought back, scanned with
the day's post. Recognised by the pipeline (``verarbeitung.schritte.returned``) or marked
by the mail room; filed into the letter's Akte, and the letter marked undeliverable by
the Postausgang through ``records.rueckpost``."""

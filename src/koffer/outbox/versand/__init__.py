"""Dispatch of released letters by hybrid mail: print providers and cut-off times, the
batches made at each cut-off (a ZIP of PDFs with a manifest), the providers' API and
their status reports, the Bekanntgabe computed from the posting date, returned mail,
takeover by the next provider, and the mail room's alarms (issue 16, items 3, 6–8)."""

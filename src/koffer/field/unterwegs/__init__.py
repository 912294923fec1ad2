"""The Koffer's own page and work on the laptop (``KOFFER_MODE=koffer``): pairing, pull and
sync as jobs with progress, the expiry wipe, the office's clock."""

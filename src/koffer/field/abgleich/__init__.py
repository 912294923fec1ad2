"""Sync back: a Koffer's changes merged per field in the office, true conflicts queued."""

"""Holds and occupancy: Reservierung, Belegung, Abwesenheit."""

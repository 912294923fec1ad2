"""Hausbesuche: the day's home visits of a field worker, planned from an Akte, with what
to take along, and the route sheet (Tourenplan) to print."""

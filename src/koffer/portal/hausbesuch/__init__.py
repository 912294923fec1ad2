"""Hausbesuch auf Anfrage: a citizen (or a relative) asks for a home visit of the senior
office; the request lands in the field workers' visit planning (``field.wuensche``)."""

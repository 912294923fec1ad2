"""Verwaltung aus dem Koffer: field workers take Akten, forms and templates on a laptop,
work at the citizen's kitchen table without a network, print there and sync back."""

"""koffer: Verwaltung aus dem Koffer."""

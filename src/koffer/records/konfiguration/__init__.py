"""Per-Mandant configuration of the E-Akte: Aktenplan, Vorgangstypen, Fristregeln."""

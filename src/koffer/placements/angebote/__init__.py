"""Provider side of the Platzbörse: Trägerprofil, Einrichtung, Angebot, Entgelt, Platz."""

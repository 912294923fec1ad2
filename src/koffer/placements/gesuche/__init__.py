"""The youth office's needs: Platzgesuch, Kostenzusage, matches, sending requests."""

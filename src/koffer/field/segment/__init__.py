"""The Koffer's audit events as a hash-chained segment: sealed on the Koffer with a key
the office issued at pairing, collected and sent with each push, verified by the office
and appended to the Mandant's chain, or refused and kept in a quarantine with the reason."""

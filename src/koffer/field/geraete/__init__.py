"""The device registry: Koffer registered, paired with a one-time code, authenticated by
their own token, Akten checked out to them and returned, a lost Koffer revoked."""

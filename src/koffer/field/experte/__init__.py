"""The remote expert: a field worker invites an expert from the office into a draft, with
the citizen's consent; both fill it at once and see each other's changes live."""

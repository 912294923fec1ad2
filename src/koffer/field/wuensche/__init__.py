"""Besuchswünsche: citizens' requests for a home visit from the portal, planned or
declined by the planners of the senior office."""

"""Billing: Leistungsnachweise from Belegungen, XRechnungen from them, the month-end job."""

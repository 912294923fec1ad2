"""Aktenauszug (an extract PDF of an Akte) and Akteneinsicht (a recipient's read-only link)."""

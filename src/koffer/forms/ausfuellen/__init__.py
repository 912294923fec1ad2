"""Filling a form for an Akte: drafts (prefilled from the Akte, saved step by step, errors
kept) and the submission that files the form in the E-Akte."""

"""Formulare: every application form of the administration as data.

``definition`` is the format (pure: JSON in, typed definition, visibility and checked
answers out); the rest of the app keeps the catalogue per Mandant, drafts and
submissions, and renders a definition as an HTML form and as a PDF.
"""

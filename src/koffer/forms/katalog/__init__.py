"""The catalogue of forms: import definitions as versions, export, deactivate."""

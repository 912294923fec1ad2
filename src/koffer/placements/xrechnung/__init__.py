"""XRechnung (EN 16931, CII syntax) for the Platzbörse's invoices.

Plain data in, bytes and findings out; nothing here knows Django models::

    from koffer.placements.xrechnung import build_cii, validate

    xml = build_cii(invoice)          # document.Invoice -> CII D16B XML (bytes)
    report = validate(xml)            # schema + EN 16931 + KoSIT XRechnung rules
    if not report.is_valid: ...       # report.errors: rule id, field, message, XPath
"""

from koffer.placements.xrechnung.cii import build_cii
from koffer.placements.xrechnung.validation import Finding, ValidationReport, validate

__all__ = ["Finding", "ValidationReport", "build_cii", "validate"]

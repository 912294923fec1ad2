"""PDF helpers every app may use: the fonts koffer typesets with, and a check of the PDF/A
properties that can be checked without veraPDF (:mod:`koffer.pdf.pdfa`)."""

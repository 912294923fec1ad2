"""PDF helpers every app may use: the fonts koffer typesets with, a check of the PDF/A
properties that can be checked without veraPDF (:mod:`koffer.pdf.pdfa`), and raster
images as lossless PDF images (:mod:`koffer.pdf.raster`)."""

"""Documents of an Akte: ingest (detect, name, inspect, convert), versions, page images, the blob ledger."""

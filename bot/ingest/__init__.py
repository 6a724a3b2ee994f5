"""Ingest: an article from a source is stored once, grouped into a story, matched and queued."""

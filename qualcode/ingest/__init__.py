"""qualcode.ingest (see ARCHITECTURE.md)."""

"""qualcode.export (see ARCHITECTURE.md)."""

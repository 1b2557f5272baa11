"""qualcode.analysis (see ARCHITECTURE.md)."""

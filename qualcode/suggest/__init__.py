"""qualcode.suggest (see ARCHITECTURE.md)."""

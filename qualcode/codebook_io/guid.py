"""Stable REFI-QDA GUIDs for code ids (defined once, in qualcode.core)."""

from qualcode.core.model import GUID_NAMESPACE, code_guid

__all__ = ["GUID_NAMESPACE", "code_guid"]

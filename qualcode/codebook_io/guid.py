"""Stable REFI-QDA GUIDs for code ids.

The same function as :func:`qualcode.storage.codes.code_guid` (a test checks they agree):
codebook files and the database are independent layers, so each needs it without
importing the other.
"""

from __future__ import annotations

import uuid

# uuid5 namespace for REFI-QDA GUIDs of codes: stable across exports. Same as storage.codes.
GUID_NAMESPACE = uuid.UUID("6f1c1f5e-3b7a-5d0a-9a43-6c7a5e0d1b2c")


def code_guid(code_id: str) -> str:
    """The GUID a code id always gets, in every export.

    >>> code_guid("trust") == code_guid("trust") != code_guid("buy_in")
    True
    """
    return str(uuid.uuid5(GUID_NAMESPACE, code_id))

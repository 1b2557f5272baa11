"""qualcode.suggest (see ARCHITECTURE.md).

Nothing leaves the machine: ONNX Runtime's official builds start a 1DS telemetry uploader
that resolves ``mobile.events.data.microsoft.com`` from a native thread (seen with 1.32 after
a few thousand encodings; ``onnxruntime.disable_telemetry_events()`` does not stop it).
``ORT_DISABLE_TELEMETRY=1``, set before ONNX Runtime initialises, keeps the uploader from
being created at all (onnxruntime's Privacy.md, "Disabling Telemetry"). Every import of
ONNX Runtime in qualcode goes through this package, so it is set here, first.
"""

import os

os.environ["ORT_DISABLE_TELEMETRY"] = "1"

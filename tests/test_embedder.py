"""Embedder backends: the ONNX Runtime path gives the torch (sentence-transformers) vectors
within the 1% budget on real sentences, falls back to torch when it cannot be used, and obeys
QUALCODE_EMBED_BACKEND. Real model; the ONNX export happens once per session in a tmp folder.
"""

from __future__ import annotations

import csv
import shutil
import sys
import threading

import numpy as np
import pytest

from conftest import REPO, SHARED
from qualcode.errors import SuggestError
from qualcode.suggest import embedder as E

TALKMOVES = SHARED / "datasets" / "talkmoves-dev" / "gold.csv"
GOLD_SAMPLE = REPO / "tests" / "data" / "gold_sample" / "gold.csv"
EXTRA = [
    "",
    "   ",
    "Um, yeah. I mean — we tried, you know?",
    "Café au lait, naïve façade, coöperate: accents and diacritics.",
    "emoji 🙂 and CJK 漢字 in an answer",
    " ".join(["We kept meeting every week and looking at the data together as a team."] * 40),  # > 256 tokens
]


def _real_sentences(n: int = 80) -> list[str]:
    out: list[str] = []
    for path in (TALKMOVES, GOLD_SAMPLE):
        if path.exists():
            with path.open(encoding="utf-8", newline="") as f:
                out += [r["text"] for r in csv.DictReader(f)][: n // 2]
    assert out, "no real sentences found (talkmoves-dev missing?)"
    return out + EXTRA


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("qualcode-cache")


@pytest.fixture(scope="session")
def onnx_emb(onnx_cache):
    mp = pytest.MonkeyPatch()
    mp.setenv("QUALCODE_CACHE_DIR", str(onnx_cache))
    try:
        yield E.load_onnx(E.resolve_model_path(), threads=1)
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def torch_model():
    return E._load(str(E.resolve_model_path()), "cpu")


def test_onnx_matches_torch_within_one_percent(onnx_emb, torch_model):
    texts = _real_sentences()
    ref = torch_model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                             show_progress_bar=False)
    got = onnx_emb.encode(texts)
    assert got.dtype == np.float32 and got.shape == ref.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = (got * ref).sum(axis=1)
    assert cos.min() >= 0.99, f"worst sentence: {texts[int(cos.argmin())]!r} cos={cos.min()}"
    diff = np.abs(got @ got.T - ref @ ref.T)
    assert diff.max() <= 0.01, f"pairwise similarity differs by {diff.max()}"
    assert onnx_emb.verification["ok"] and onnx_emb.model_id == E._model_name(E.resolve_model_path(), 384)
    # the export landed where the cache says, with its check vectors, and no temp folders left behind
    folders = [p for p in (onnx_emb.folder.parent).iterdir()]
    assert folders == [onnx_emb.folder] and (onnx_emb.folder / "check.npy").exists()


def test_onnx_parallel_batches_keep_order(onnx_emb):
    texts = _real_sentences(30)
    one = onnx_emb.encode(texts)
    two = E.OnnxEmbedder(onnx_emb.path, onnx_emb.folder, max_length=256, batch_size=8, threads=2)
    seen: list[tuple[int, int]] = []
    threads: set[int] = set()

    def progress(d: int, n: int) -> None:
        seen.append((d, n))
        threads.add(threading.get_ident())

    got = two.encode(texts, progress=progress)
    np.testing.assert_allclose(got, one, atol=1e-5)
    assert seen[-1] == (len(texts), len(texts)) and len(seen) > 1
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # Progress comes from the caller's thread (a Streamlit page may update widgets in it).
    assert threads == {threading.get_ident()}
    assert two.encode([]).shape == (0, 384)
    rev = two.encode(texts[::-1])
    np.testing.assert_allclose(rev[::-1], one, atol=1e-5)


def test_falls_back_to_torch_when_onnxruntime_missing(monkeypatch, onnx_cache):
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(onnx_cache))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    emb = E._embedder.__wrapped__(None, "cpu", "auto", 1)
    assert isinstance(emb, E.SentenceEmbedder) and emb.backend == "torch" and emb.device == "cpu"
    assert "cannot import onnxruntime" in emb.warning
    assert emb.model_id == E._model_name(E.resolve_model_path(), 384)  # same cache key as ONNX
    assert emb.encode(["We built trust."]).shape == (1, 384)


def test_falls_back_when_verification_fails(monkeypatch, onnx_emb, tmp_path):
    bad = tmp_path / "onnx" / onnx_emb.folder.name
    bad.mkdir(parents=True)
    (bad / "model.onnx").symlink_to(onnx_emb.folder / "model.onnx")
    ref = np.load(onnx_emb.folder / "check.npy")
    np.save(bad / "check.npy", np.roll(ref, 1, axis=0))  # torch vectors of other sentences
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(tmp_path))
    with pytest.raises(SuggestError, match="differ"):
        E.load_onnx(E.resolve_model_path(), threads=1)
    emb = E._embedder.__wrapped__(None, "cpu", "onnx", 1)
    assert emb.backend == "torch" and "differ from torch" in emb.warning


def test_backend_env_override(monkeypatch, onnx_cache, onnx_emb):
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(onnx_cache))
    monkeypatch.setenv("QUALCODE_EMBED_BACKEND", "torch")
    emb = E.get_embedder(device="cpu")
    assert emb.backend == "torch" and emb.warning is None
    monkeypatch.setenv("QUALCODE_EMBED_BACKEND", "ONNX")
    emb = E.get_embedder(device="cpu")
    assert emb.backend == "onnx" and emb.verification["ok"]
    monkeypatch.setenv("QUALCODE_EMBED_BACKEND", "tensorflow")
    with pytest.raises(SuggestError, match="QUALCODE_EMBED_BACKEND"):
        E.get_embedder()
    monkeypatch.setenv("QUALCODE_EMBED_BACKEND", "")
    assert E.embed_backend() == "auto"
    monkeypatch.setenv("QUALCODE_EMBED_THREADS", "3")
    assert E.embed_threads() == 3
    monkeypatch.setenv("QUALCODE_EMBED_THREADS", "many")
    with pytest.raises(SuggestError):
        E.embed_threads()


def test_pipeline_check_rejects_other_poolings(tmp_path):
    src = E.resolve_model_path()
    for name in ("modules.json", "sentence_bert_config.json", "tokenizer.json"):
        shutil.copy(src / name, tmp_path / name)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        '{"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}')
    assert "not mean pooling" in E._pipeline(tmp_path)[1]
    assert E._pipeline(src) == (256, None)


def test_cpu_only_torch_detected_without_import():
    import torch

    assert E._torch_has_cuda() == (torch.version.cuda is not None)


def test_memo_encode_encodes_each_text_once_per_model():
    calls: list[list[str]] = []

    class Counting(E.HashEmbedder):
        model_id = "counting-test:64"

        def encode(self, texts, *, progress=None):
            calls.append(list(texts))
            return super().encode(texts, progress=progress)

    emb = Counting()
    enc = E.memo_encode(emb)
    first = enc(["we built trust", "data showed progress", "we built trust"])
    second = E.memo_encode(emb)(["data showed progress", "new text"])
    assert calls == [["we built trust", "data showed progress"], ["new text"]]
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second, E.HashEmbedder().encode(["data showed progress", "new text"]))
    assert enc([]).shape == (0, 64)


def test_remembered_vectors_are_not_encoded_again():
    calls: list[list[str]] = []

    class Counting(E.HashEmbedder):
        def encode(self, texts, *, progress=None):
            calls.append(list(texts))
            return super().encode(texts, progress=progress)

    emb = Counting()
    emb.model_id = "counting-remember:64"  # (HashEmbedder sets its own per instance)
    given = np.ones((1, 64), dtype=np.float32)
    E.remember(emb, ["read from the project cache"], given)
    got = E.memo_encode(emb)(["read from the project cache", "new text"])
    assert calls == [["new text"]]
    np.testing.assert_array_equal(got[0], given[0])


def test_repeated_texts_are_encoded_once(onnx_emb, monkeypatch):
    texts = ["Yeah.", "We met every month.", "Yeah.", "Okay.", "We met every month."]
    seen: list[list[str]] = []
    real_run = onnx_emb._run

    def spy(enc, idx):
        seen.append([enc[i].ids[1] for i in idx])  # token after [CLS] identifies the text
        return real_run(enc, idx)

    monkeypatch.setattr(onnx_emb, "_run", spy)
    got = onnx_emb.encode(texts)
    assert sum(len(b) for b in seen) == 3  # three distinct texts
    np.testing.assert_array_equal(got[0], got[2])
    np.testing.assert_array_equal(got[1], got[4])
    monkeypatch.undo()
    np.testing.assert_allclose(got, np.stack([onnx_emb.encode([t])[0] for t in texts]), atol=1e-5)

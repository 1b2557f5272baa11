"""Benchmark: ingest (parse + segment + store, no embeddings) of a 9,000-word interview.

Target: under 1 s. The interview is generated (plain text, ``[hh:mm:ss] Name: text``
lines, interviewer and participant alternating, 9,000 words). Each run imports it into a
fresh SQLite project with ``ingest_paths`` (the whole path: read, decode, labels, layout,
spaCy sentences, one transaction); parse-only and de-identified runs are timed too, and
the sample corpus as a whole when it is there. The spaCy pipeline is loaded once before
timing (it is cached per process). Run: ``.venv/bin/python bench/bench_ingest.py``.
Writes bench/results/ingest.json.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualcode import services  # noqa: E402
from qualcode.ingest.segment import sentencizer  # noqa: E402
from qualcode.services import ingest as svc  # noqa: E402

RESULTS = REPO / "bench" / "results" / "ingest.json"
WORDS = 9000
RUNS = 5
VOCAB = ("team data meeting principal coach trust plan change idea students teachers district network "
         "improvement cycle run chart feedback convening lesson reading math measure week month year "
         "really think know started because worked tried shared").split()


def interview(words: int, seed: int) -> str:
    rng = random.Random(seed)
    lines, n, sec, turn = ["Team lead interview, generated for the benchmark", ""], 0, 0, 0
    while n < words:
        speaker = "Interviewer" if turn % 2 == 0 else "Maria Lopez"
        sentences = []
        for _ in range(rng.randint(1, 2) if speaker == "Interviewer" else rng.randint(3, 9)):
            k = rng.randint(6, 22)
            sentences.append(" ".join(rng.choice(VOCAB) for _ in range(k)).capitalize() + rng.choice(".?!."))
            n += k
        lines.append(f"[{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}] {speaker}: {' '.join(sentences)}")
        sec += rng.randint(5, 60)
        turn += 1
    return "\n".join(lines) + "\n"


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> dict:
    sentencizer()  # load spaCy once, as a running app or CLI batch has
    tmp = Path(tempfile.mkdtemp(prefix="qualcode-bench-ingest-"))
    results: dict = {"words": WORDS, "runs": RUNS, "machine": platform.platform(), "cpus": os.cpu_count()}
    ingest_s, parse_s, deid_s, excerpts = [], [], [], 0
    for run in range(RUNS):
        path = tmp / f"interview_{run}.txt"
        path.write_text(interview(WORDS, seed=run), encoding="utf-8")
        parse_s.append(timed(lambda: svc.parse_file(path)))
        ctx = services.init_project(tmp / f"p{run}", coder="bench")
        holder = {}
        ingest_s.append(timed(lambda: holder.setdefault("r", svc.ingest_paths(ctx, [path]))))
        assert holder["r"].counts()["ok"] == 1, holder["r"].to_dict()
        excerpts = holder["r"].results[0].counts["excerpts"]
        ctx2 = services.init_project(tmp / f"d{run}", coder="bench")
        deid_s.append(timed(lambda: svc.ingest_paths(ctx2, [path], deidentify=True,
                                                     names=["district: Riverside Unified"])))
        ctx.close()
        ctx2.close()
    results.update({
        "excerpts": excerpts,
        "ingest_s": {"median": round(statistics.median(ingest_s), 3), "min": round(min(ingest_s), 3),
                     "max": round(max(ingest_s), 3)},
        "parse_only_s": {"median": round(statistics.median(parse_s), 3)},
        "ingest_deidentified_s": {"median": round(statistics.median(deid_s), 3)},
        "target_s": 1.0,
    })
    results["meets_target"] = results["ingest_s"]["median"] < 1.0
    samples = REPO / "transcripts_sample"
    if (samples / "attributes.csv").exists():
        ctx = services.init_project(tmp / "samples", coder="bench")
        holder = {}
        t = timed(lambda: holder.setdefault("r", svc.ingest_paths(ctx, [samples],
                                                                   attributes=samples / "attributes.csv")))
        r = holder["r"]
        words = sum(x.counts.get("words", 0) for x in r.results if x.status == "ok")
        results["sample_corpus"] = {"files": r.counts()["ok"], "words": words, "seconds": round(t, 3)}
        ctx.close()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"ingest of a {WORDS:,}-word interview ({excerpts} excerpts): median {results['ingest_s']['median']} s "
          f"(min {results['ingest_s']['min']}, max {results['ingest_s']['max']}; target < 1 s: "
          f"{'met' if results['meets_target'] else 'MISSED'})")
    print(f"parse only: {results['parse_only_s']['median']} s; with de-identification: "
          f"{results['ingest_deidentified_s']['median']} s")
    if "sample_corpus" in results:
        sc = results["sample_corpus"]
        print(f"sample corpus: {sc['files']} files, {sc['words']:,} words in {sc['seconds']} s")
    print(f"wrote {RESULTS}")
    return results


if __name__ == "__main__":
    main()

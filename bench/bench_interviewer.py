"""Benchmark: how often the proposed interviewer is right, and hostile lines in bounded time.

1. The invented real-world files (``tests/data/real-world/``, each shape of issue 15) with
   the truth kept in ``tests/test_ingest_real_world.py``: the batch proposal
   (``detect_interviewers``) against the known interviewer (or nobody).
2. The sample transcripts (``transcripts_sample/``) with every speaker renamed
   ``Person A``, ``Person B``...: the label cannot help, only how people talk can. Right
   when the proposal is the speaker the file labels interviewer/facilitator.
3. Speaker-label patterns on 100,000-character lines of spaces and punctuation (issue 17:
   before, 500 leading spaces took about 26 s and 2,000 took minutes).

Run: ``.venv/bin/python bench/bench_interviewer.py``. Writes bench/results/interviewer.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from qualcode.ingest import detect_interviewer, detect_interviewers, parse_bytes, parse_path  # noqa: E402
from qualcode.ingest.speakers import caption_label, lone_label, split_label  # noqa: E402
from test_ingest_real_world import HOSTILE, REAL, TRUTH  # noqa: E402


def turns(doc) -> list[tuple[str, str]]:
    return [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns]


def real_world() -> dict:
    docs = {name: turns(parse_path(REAL / name).document) for name in TRUTH}
    guesses = detect_interviewers(docs)
    rows = [{"file": n, "truth": TRUTH[n][1], "proposed": g.label if g else None, "reason": g.reason if g else None}
            for n, g in guesses.items()]
    named = [r for r in rows if r["truth"] is None or not any(
        role in ("interviewer", "facilitator") for role in TRUTH[r["file"]][0].values())]
    return {"files": len(rows), "right": sum(r["truth"] == r["proposed"] for r in rows),
            "named_only_files": len(named), "named_only_right": sum(r["truth"] == r["proposed"] for r in named),
            "rows": rows}


def samples() -> dict:
    rows = []
    for path in sorted((REPO / "transcripts_sample").glob("*")):
        if path.name == "attributes.csv" or path.suffix not in (".txt", ".md", ".docx", ".vtt", ".srt", ".csv"):
            continue
        doc = parse_path(path).document
        asking = {sp.label for sp in doc.speakers if sp.role.value in ("interviewer", "facilitator")}
        alias = {label: f"Person {chr(65 + k)}" for k, label in enumerate(dict.fromkeys(t.speaker for t in doc.turns))}
        g = detect_interviewer([(alias[s], text) for s, text in turns(doc)])
        back = {v: k for k, v in alias.items()}
        proposed = back[g.label] if g else None
        rows.append({"file": path.name, "truth": sorted(asking), "proposed": proposed,
                     "right": (proposed in asking) if asking else proposed is None,
                     "reason": g.reason if g else None})
    return {"files": len(rows), "right": sum(r["right"] for r in rows), "rows": rows}


def hostile() -> dict:
    out = {}
    t = time.perf_counter()
    for line in HOSTILE:
        split_label(line), lone_label(line), caption_label(line)
    out["patterns_15_lines_s"] = round(time.perf_counter() - t, 3)
    data = ("\n".join(HOSTILE) + "\nAna: fine\n").encode()
    for ext in (".txt", ".vtt", ".srt"):
        head = {".vtt": b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n", ".srt": b"1\n00:00:01,000 --> 00:00:02,000\n"}
        t = time.perf_counter()
        try:
            parse_bytes(head.get(ext, b"") + data, "h" + ext, unit="turn")
        except Exception as exc:  # noqa: BLE001 - a refusal is fine, time is what counts
            out[f"parse{ext}_refused"] = type(exc).__name__
        out[f"parse{ext}_s"] = round(time.perf_counter() - t, 3)
    return out


def main() -> None:
    load = os.getloadavg()[0]
    result = {"machine": platform.platform(), "load_avg_1min": round(load, 2), "real_world": real_world(),
              "samples_renamed": samples(), "hostile_1.3MB": hostile()}
    rw, sa = result["real_world"], result["samples_renamed"]
    print(f"real-world files: {rw['right']}/{rw['files']} right "
          f"(named interviewer, no role label: {rw['named_only_right']}/{rw['named_only_files']})")
    print(f"sample transcripts, speakers renamed: {sa['right']}/{sa['files']} right")
    for r in sa["rows"]:
        if not r["right"]:
            print("  wrong:", r["file"], r["truth"], "->", r["proposed"], r["reason"])
    print("hostile lines:", result["hostile_1.3MB"], f"(load {load:.1f})")
    out = REPO / "bench" / "results" / "interviewer.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

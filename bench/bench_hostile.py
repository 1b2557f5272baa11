"""Peak memory and time for each hostile case of issue 17, on main's code and on this tree.

Run: .venv/bin/python bench/bench_hostile.py [--before /path/to/tree --before-label WHAT] [--only NAME,...]
(writes bench/results/hostile.json; "before" is measured by running the same case with the
other checkout first on sys.path, and ``before_code`` records which code that was). The
hostile-file cases compare with the code issue 17 was filed against (``git archive aeac705``);
the codebook-size cases with main before the bulk codebook import (issue 17, what was left).

Each case runs in its own process under an address-space cap (CAP_MB) and a CPU-time limit
(TIMEOUT_S, with a wall-clock backstop: on a shared machine wall time means little), so
a case that explodes is reported as "memory cap" or "timeout" instead of taking the machine
down. Peak memory is the process's peak RSS (ru_maxrss) minus what it held before the case.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAP_MB = 3072
TIMEOUT_S = int(os.environ.get("BENCH_HOSTILE_TIMEOUT_S", "300"))  # CPU seconds per case (RLIMIT_CPU)
WALL_FACTOR = 8  # and at most this many times as long on the clock: a loaded machine shares its CPUs


def _files():
    spec = importlib.util.spec_from_file_location("hostile_files", REPO / "tests" / "hostile_files.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _codebook_yaml(n: int) -> str:
    return "name: Big\ncodes:\n" + "".join(
        f"  - id: c{i}\n    name: Code {i}\n    definition: Talk about thing {i}.\n"
        + (f"    parent: c{i - i % 10}\n" if i % 10 else "") for i in range(n))


def _qdc(n: int) -> str:
    out, open_parent = [], False
    for i in range(n):
        if i % 10 == 0:
            if open_parent:
                out.append("</Code>")
            out.append(f'<Code guid="{i:08x}-0000-4000-8000-000000000000" name="Code {i}" isCodable="true">'
                       f"<Description>Talk about thing {i}.\n\nCode id: c{i}</Description>")
            open_parent = True
        else:
            out.append(f'<Code guid="{i:08x}-0000-4000-8000-000000000000" name="Code {i}" isCodable="true">'
                       f"<Description>Talk about thing {i}.\n\nCode id: c{i}</Description></Code>")
    if open_parent:
        out.append("</Code>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            + "\n".join(out) + "</Codes></CodeBook>\n")


def _xlsx_damaged() -> list[bytes]:
    import io
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["speaker", "text"])
    ws.append(["Ana", "We met."])
    buf = io.BytesIO()
    wb.save(buf)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    sheet = "xl/worksheets/sheet1.xml"
    out = []
    for edit in (lambda n, d: d[: len(d) // 2] if n == sheet else d,
                 lambda n, d: b'<!DOCTYPE x [<!ENTITY e "b">]>' + d.split(b"?>", 1)[-1] if n == sheet else d,
                 lambda n, d: d.replace(b'r="A2"', b'r="A2("') if n == sheet else d,
                 lambda n, d: None if n.startswith("xl/worksheets/") else d):
        o = io.BytesIO()
        with zipfile.ZipFile(o, "w") as w:
            for i in z.infolist():
                body = edit(i.filename, z.read(i))
                if body is not None:
                    w.writestr(i.filename, body)
        out.append(o.getvalue())
    return out


def case(name: str, tmp: Path):
    """Build the input (not timed) and return the operation to time."""
    hf = _files()
    from qualcode import codebook_io, ingest

    ingest.parse_bytes(b"Interviewer: Warm up.\n\nAna: Loads spaCy once, not timed.\n", "warm.txt")

    if name == "bom_invalid_byte":
        data = b"\xef\xbb\xbfInterviewer: Why?\n\nAna: Trust " + b"and time. " * 500 + b"\xff.\n"
        return lambda: ingest.parse_bytes(data, "bom.txt")
    if name == "turn_1_1M_chars":
        speech = " ".join(f"We met in week {i} and the trust grew" for i in range(30_000))
        data = f"Interviewer: Go on.\n\nAna Ruiz: {speech}.\n".encode()
        return lambda: ingest.parse_bytes(data, "long.txt")
    if name == "xlsx_damaged_x4":
        files = _xlsx_damaged()

        def run():
            for d in files:
                try:
                    ingest.parse_bytes(d, "damaged.xlsx")
                except Exception as exc:  # noqa: BLE001 - recorded by kind
                    kinds.append(type(exc).__name__)
        kinds: list = []
        run.kinds = kinds
        return run
    if name in ("pdf_300KB", "pdf_3MB"):
        data = hf.text_pdf(300_000 if name == "pdf_300KB" else 3_000_000)
        return lambda: ingest.parse_bytes(data, "big.pdf")
    if name in ("docx_zip_bomb_1GB", "xlsx_zip_bomb_1GB"):
        import io
        import zipfile

        seed = _docx_seed() if name.startswith("docx") else _xlsx_damaged_seed()
        member = "word/document.xml" if name.startswith("docx") else "xl/worksheets/sheet1.xml"
        z = zipfile.ZipFile(io.BytesIO(seed))
        others = {i.filename: z.read(i) for i in z.infolist() if i.filename != member}
        data = hf.zip_bomb(member, 1100, others=others)
        return lambda: ingest.parse_bytes(data, "bomb." + name[:4])
    if name == "line_1000_leading_spaces":  # issue 17.2: the speaker patterns backtracked (40 s)
        # no label on the line, so every label pattern tries (and, before, backtracked over the spaces)
        data = ("Interviewer: Go on.\n\n" + " " * 1000
                + "and then we kept at it, all of us together, week after week after week.\n").encode()
        return lambda: ingest.parse_bytes(data, "spaces.txt")
    if name == "qdpx_source_zip_bomb_1GB":  # issue 17.4: a 2 MB .qdpx whose source unpacks to 1.1 GB
        import io
        import zipfile

        sys.path.insert(0, str(REPO))
        from tests.refi_helpers import build_qdpx, interview_source

        src = interview_source()
        seed = zipfile.ZipFile(io.BytesIO(build_qdpx([src])))
        member = next(i.filename for i in seed.infolist() if i.filename.startswith("sources/"))
        data = hf.zip_bomb(member, 1100, others={i.filename: seed.read(i) for i in seed.infolist()
                                                 if i.filename != member})
        from qualcode.services import export as ex

        return lambda: ex.import_qdpx(tmp / "qdpx-proj", data)
    if name == "yaml_alias_bomb":
        p = tmp / "bomb.yaml"
        p.write_text(hf.yaml_alias_bomb(), encoding="utf-8")
        return lambda: codebook_io.load_codebook(p)
    if name == "yaml_codes_5":
        p = tmp / "five.yaml"
        p.write_text("name: x\ncodes: 5\n", encoding="utf-8")
        return lambda: codebook_io.load_codebook(p)
    if name.startswith(("codebook_yaml_", "codebook_qdc_")):
        n = int(name.rsplit("_", 1)[1].replace("k", "000"))
        p = tmp / ("big.yaml" if "yaml" in name else "big.qdc")
        p.write_text(_codebook_yaml(n) if "yaml" in name else _qdc(n), encoding="utf-8")
        from qualcode import services
        from qualcode.services import codebook as cbs

        ctx = services.init_project(tmp / "proj", coder="bench")
        return lambda: cbs.import_codebook(ctx, p)
    raise SystemExit(f"unknown case {name}")


def _docx_seed() -> bytes:
    import io

    import docx

    d = docx.Document()
    d.add_paragraph("Interviewer: Why?")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx_damaged_seed() -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["speaker", "text"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CASES = ["bom_invalid_byte", "turn_1_1M_chars", "xlsx_damaged_x4", "pdf_300KB", "pdf_3MB", "docx_zip_bomb_1GB",
         "xlsx_zip_bomb_1GB", "line_1000_leading_spaces", "qdpx_source_zip_bomb_1GB", "yaml_alias_bomb", "yaml_codes_5", "codebook_yaml_4k", "codebook_yaml_16k",
         "codebook_yaml_100k", "codebook_qdc_16k", "codebook_qdc_100k"]
#: Cases not run on the "before" code (none now: the codebook cases compare with main).
SKIP_BEFORE: set[str] = set()


def child(name: str) -> None:
    import logging

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        op = case(name, Path(tmp))
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        outcome = "ok"
        try:
            op()
        except MemoryError:
            outcome = "memory cap (MemoryError)"
        except Exception as exc:  # noqa: BLE001 - the outcome is what is measured
            outcome = f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:160]}"
        seconds = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)  # meaningful on a loaded machine
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        extra = {"kinds": op.kinds} if hasattr(op, "kinds") else {}
        print(json.dumps({"outcome": outcome, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                          "peak_rss_mb": round(peak / 1024, 1), "added_rss_mb": round((peak - base) / 1024, 1),
                          **extra}))


def run(name: str, root: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root), QUALCODE_CACHE_DIR=os.environ.get("QUALCODE_CACHE_DIR", ""))
    code = (f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({CAP_MB} << 20, {CAP_MB} << 20)); "
            f"resource.setrlimit(resource.RLIMIT_CPU, ({TIMEOUT_S}, {TIMEOUT_S} + 5)); "
            f"sys.path.insert(0, {str(root)!r}); sys.argv = ['x', '--child', {name!r}]; "
            f"import runpy; runpy.run_path({str(Path(__file__))!r}, run_name='__main__')")
    t = time.perf_counter()
    try:
        p = subprocess.run(["nice", sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT_S * WALL_FACTOR, cwd=root)
    except subprocess.TimeoutExpired:
        return {"outcome": f"timeout > {TIMEOUT_S * WALL_FACTOR} s wall", "seconds": TIMEOUT_S * WALL_FACTOR}
    if p.returncode in (-signal.SIGXCPU, -signal.SIGKILL) and not p.stdout.strip():
        return {"outcome": f"timeout > {TIMEOUT_S} s CPU", "seconds": round(time.perf_counter() - t, 1)}
    last = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not last:
        tail = (p.stderr or "").strip().splitlines()[-1:] or [""]
        return {"outcome": f"process died (rc {p.returncode}): {tail[0][:200]}",
                "seconds": round(time.perf_counter() - t, 1)}
    return json.loads(last[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--before", default="/work/main")
    ap.add_argument("--before-label", help="what the before tree is (a commit), recorded per case")
    ap.add_argument("--only")
    ap.add_argument("--out", help="results file (default bench/results/hostile.json; runs at the same time "
                                  "need files of their own, merged afterwards with --merge)")
    ap.add_argument("--merge", help="fold the cases of this results file into the default one, then stop")
    ap.add_argument("--no-before", action="store_true")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    names = args.only.split(",") if args.only else CASES
    default = REPO / "bench" / "results" / "hostile.json"
    if args.merge:
        results = json.loads(default.read_text())
        results["cases"].update(json.loads(Path(args.merge).read_text())["cases"])
        results["cases"] = {n: results["cases"][n] for n in CASES if n in results["cases"]}  # the listed order
        default.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return
    out_path = Path(args.out) if args.out else default
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    results.setdefault("cases", {})
    results["cap_mb"] = CAP_MB
    results.pop("timeout_s", None)  # per case now
    for name in names:
        entry = results["cases"][name] = {"timeout_s": TIMEOUT_S}  # nothing kept from an older run
        entry["after"] = run(name, REPO)
        if not args.no_before and name not in SKIP_BEFORE and Path(args.before).exists():
            entry["before"] = run(name, Path(args.before))
            entry["before_code"] = args.before_label or str(args.before)
        entry["load_avg_1m"] = round(os.getloadavg()[0], 1)
        print(name, json.dumps(entry), flush=True)
        out_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

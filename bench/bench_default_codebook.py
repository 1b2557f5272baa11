"""Benchmark: cold suggestions of the default codebook on short, plain sentences a coder would
code at a glance (our own writing, two per code, none taken from the codebook's examples).

The dev sets' codebooks have no exclusion criteria, counterexamples or hyphenated names, so they
cannot show how those parts of a profile behave; this set does, through the app's path (a
project database, the import and suggestion services, the Code page's chips). Walks 10 and 11:
"the teachers trust each other more" got Buy-in and Team composition but not Trust; "I would say
buy-in came slowly" got Buy-in at 11%.

Reports, for the 40 participant sentences: how many get their code among the chips (hit), how
many have it as the most likely chip (top), the mean probability shown for it, and how many
chips are shown in all (noise). Writes bench/results/default_codebook.json.

    .venv/bin/python bench/bench_default_codebook.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]

SENTENCES = [  # (code, sentence): our own words
    ("trust", "Honestly, the teachers trust each other more now."),
    ("trust", "After a year together we could finally be honest about our bad numbers."),
    ("buy_in", "I would say buy-in came slowly."),
    ("buy_in", "The principals were skeptical until they saw the first results, then they got on board."),
    ("team_composition", "Our team had two teachers, a coach and somebody from the district office."),
    ("team_composition", "We added a counselor to the team in the second year."),
    ("hierarchy_voice", "When the superintendent was in the room nobody would disagree with her."),
    ("hierarchy_voice", "The teachers felt their ideas counted as much as the administrators'."),
    ("learning_zone", "We had to get comfortable not knowing the answer for a while."),
    ("learning_zone", "It was uncomfortable, but being stretched is where we learned the most."),
    ("failure_as_learning", "The tutoring idea failed, and we learned more from that than from anything that worked."),
    ("failure_as_learning", "Nobody got blamed when a change didn't work; we just asked what it taught us."),
    ("right_sized_problem", "We narrowed it down to ninth-grade attendance so it was something we could actually move."),
    ("right_sized_problem", "Our first problem was way too big, so we picked one grade and one skill."),
    ("improvement_cycles", "We ran a PDSA cycle on the exit tickets for two weeks."),
    ("improvement_cycles", "Plan, do, study, act: we went around that loop three times with the warm-ups."),
    ("empathy_interviews", "We sat down with students and asked them what math class feels like."),
    ("empathy_interviews", "The empathy interviews with parents changed how we saw the homework problem."),
    ("evidence", "We looked at the exit ticket data every two weeks."),
    ("evidence", "The benchmark scores went up six points, and that convinced people."),
    ("coaching_facilitation", "Our coach kept the meetings on track and pushed us to use the data."),
    ("coaching_facilitation", "The facilitator helped us write our first aim statement."),
    ("content_experts", "A literacy specialist from the university showed us how to teach phonics."),
    ("content_experts", "We brought in a math expert to look at our curriculum."),
    ("protected_time", "Our principal protected Thursday afternoons for the team."),
    ("protected_time", "Without a common planning period we could never have met."),
    ("structure_accountability", "Having a deadline for each cycle report kept us honest."),
    ("structure_accountability", "The monthly check-ins with the district meant we had to show progress."),
    ("peer_learning", "We borrowed the warm-up routine from the team in the other district."),
    ("peer_learning", "Hearing how another district handled attendance gave us ideas."),
    ("sustainability_spread", "Now the other schools in the district are starting to use the exit tickets too."),
    ("sustainability_spread", "When our lead teacher left, the work kept going because it was in the schedule."),
    ("adapting_to_closures", "When schools closed in March we moved the whole cycle online."),
    ("adapting_to_closures", "During remote learning we tested the idea with video check-ins."),
    ("trust", "I could tell my colleagues I was struggling and nobody judged me."),
    ("buy_in", "Once the teachers saw it wasn't another mandate, most of them wanted in."),
    ("evidence", "The attendance chart showed the change was working."),
    ("improvement_cycles", "Each cycle we tested one small change and studied what happened."),
    ("protected_time", "The district gave us release days so the whole team could meet."),
    ("coaching_facilitation", "The coach asked good questions instead of telling us what to do."),
]


def transcript() -> bytes:
    lines = []
    for k, (_, text) in enumerate(SENTENCES):
        lines.append(f"Interviewer: Question {k + 1}?")
        lines.append(f"Participant {k % 4 + 1}: {text}")
    return ("\n".join(lines) + "\n").encode()


def run() -> dict:
    from qualcode import services
    from qualcode.services import ingest, suggest, ui_support

    with tempfile.TemporaryDirectory(prefix="qualcode-defcb-") as tmp:
        ctx = services.init_project(Path(tmp) / "p", coder="bench")
        doc = ingest.save_parsed(ctx, ingest.parse_bytes(transcript(), "check.txt"))
        for p in sorted((REPO / "transcripts_sample").iterdir()):  # a realistic project around it
            if p.is_file() and p.suffix in (".txt", ".md", ".vtt", ".srt", ".docx"):
                ingest.save_parsed(ctx, ingest.parse_bytes(p.read_bytes(), p.name))
        t0 = time.perf_counter()
        suggest.suggest_all(ctx)
        seconds = time.perf_counter() - t0
        view = ui_support.transcript_view(ctx, doc)
        rows = [e for e in view.excerpts() if e.codable]
        ctx.close()
    assert len(rows) == len(SENTENCES), (len(rows), len(SENTENCES))
    hit = top = chips = 0
    probs, misses = [], []
    for (code, text), e in zip(SENTENCES, rows):
        shown = sorted(e.state.chips, key=lambda c: -c.probability)
        chips += len(shown)
        p = next((c.probability for c in shown if c.code_id == code), 0.0)
        probs.append(p)
        hit += p > 0
        top += bool(shown) and shown[0].code_id == code
        if not p:
            misses.append({"code": code, "text": text, "shown": [(c.code_id, round(c.probability, 2)) for c in shown]})
    n = len(SENTENCES)
    return {"sentences": n, "hit": hit, "top": top, "mean_probability": round(sum(probs) / n, 3),
            "chips": chips, "seconds": round(seconds, 1), "misses": misses}


def main() -> None:
    out = run()
    print(json.dumps({k: v for k, v in out.items() if k != "misses"}, indent=1))
    for m in out["misses"]:
        print(f"  miss {m['code']:24s} {m['text'][:60]!r} -> {m['shown']}")
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bench" / "results" / "default_codebook.json"
    target.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()

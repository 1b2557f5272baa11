"""Write an invented convening survey (one row per respondent, three open questions).

Every sentence below is original writing for qualcode's samples: the districts, people and
answers are made up. Answers are put together from a pool of sentences per question with a
fixed seed, so the committed sample and the benchmark's 5,000-answer survey are reproducible.

    python bench/make_survey.py                      # rewrites transcripts_sample/_surveys/...
    python bench/make_survey.py --respondents 1667 --out /tmp/big.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts_sample" / "_surveys" / "convening_survey_2018_2021.csv"

Q_USEFUL = "What was most useful about this convening?"
Q_CHANGE = "What would you change for the next convening?"
Q_BACK_HOME = "How is your team using what it learned back in your district?"
QUESTIONS = (Q_USEFUL, Q_CHANGE, Q_BACK_HOME)

DISTRICTS = ["Greywillow Unified", "Bellwether Springs Unified", "Larkin Slough Unified",
             "Coyote Flats School District", "Carrizo Bend Unified", "Mesa Alta Elementary",
             "San Teodoro Valley Unified", "Port Quinlan School District"]
ROLES = ["team member"] * 6 + ["team lead"] * 3 + ["superintendent"]
CONVENINGS = ["fall", "winter", "spring"]

USEFUL = [
    "Having the whole day with our team and nobody pulling us back to our buildings.",
    "The protected time. At home we never get three hours in a row to look at our own data together.",
    "Sitting with the team from {other} and hearing how they handled pushback from their principals.",
    "The empathy interview practice. I was nervous about talking to students, and the role play helped a lot.",
    "Our coach walked us through our fishbone again and we realized we had skipped a whole branch.",
    "Honestly the conversations at lunch with other districts were the most useful part.",
    "Learning that a PDSA cycle can be two weeks long. We had been planning them like semester projects.",
    "The session on right-sizing the problem. Ours was way too big and now it fits on one page.",
    "Looking at exit ticket data from our own classrooms instead of state test results from last year.",
    "Time to plan our next cycle with the principal in the room, which almost never happens.",
    "Hearing that other teams also abandoned their first change idea. I thought we had failed.",
    "The math content expert. She answered questions our team had been stuck on since October.",
    "The gallery walk. Seeing every district's run charts on the wall made it feel real.",
    "Our facilitator kept us in the question instead of jumping to a solution, which is hard for us.",
    "Getting feedback on our measurement plan from people who don't know our schools.",
    "Practicing how to explain the work to teachers who were not at the convening.",
    "The superintendents' breakout. It was good to talk about spread with people in the same seat.",
    "Working through the driver diagram as a team, with teachers and district people at the same table.",
    "I liked the new protocol for looking at student work. We will use it at our site meetings.",
    "The structure of the agenda. Short inputs, then long blocks of team time.",
    "Seeing the data from the reading screener broken out by school for the first time.",
    "The reminder that the teachers closest to the problem should be the ones testing the changes.",
    "Talking openly about what went wrong in our last cycle without anyone getting defensive.",
    "Time with our coach to sort out who is doing what before the next meeting.",
    "Listening to the students' voices from the empathy interviews another team shared.",
    "the team time",
    "Data time with the team.",
    "Everything about the afternoon session on academic vocabulary routines.",
    "Meeting people I now text when I get stuck. That network is worth the trip.",
    "Finally understanding the difference between a process measure and an outcome measure.",
]

CHANGE = [
    "More time with our own team and a little less time in whole-group presentations.",
    "Start later on the first day. Several of us drove over three hours that morning.",
    "I would like a session just for new team members. We had two who were lost most of the day.",
    "Send the data templates ahead of time so we can fill them in before we arrive.",
    "Less sitting. The afternoon sessions were hard to stay focused in.",
    "Mix the districts up more at lunch. We ended up sitting with the same people as last time.",
    "Give us examples of PDSA cycles that did not work and what the team learned from them.",
    "Nothing really. This was the best one so far.",
    "More time with the content experts, especially for the high school math teams.",
    "Please keep the agenda the same from one convening to the next so we know what to prepare.",
    "Include principals who are not on the team. They need to hear this directly, not from us.",
    "The room was too loud for the team work blocks. A few smaller rooms would help.",
    "Have our coach check in before the convening so we do not spend the first hour catching up.",
    "Shorter opening. We know the goals by now.",
    "I'd like more guidance on how to bring teachers on board who were not part of choosing the change.",
    "Offer a virtual option for team members who cannot leave their classrooms for two days.",
    "A clearer way to share what each district is testing, maybe a one-page summary per team.",
    "Fewer slides and more working time.",
    "Build in time to talk about sustaining the work when people change roles next year.",
    "More structure in the cross-district sessions. Some groups just chatted.",
    "Provide substitutes' costs up front. It is hard for our teachers to be out.",
    "I would change the timing of the data session. After lunch nobody had energy for run charts.",
    "More student voice. Maybe bring students in, or at least videos of them.",
    "Let teams choose which breakout to attend instead of assigning us.",
    "n/a",
    "not sure yet",
    "Honestly I would add a second day. One day is not enough to get through a full cycle plan.",
    "Spend less time on the rules of PDSA and more time on our actual changes.",
    "The evidence session felt rushed. We had questions about how reliable our own measures are.",
    "Have the superintendents stay for the whole day instead of just the morning.",
]

BACK_HOME = [
    "We are running our second cycle on the morning warm-up routine in three classrooms.",
    "Two teachers started doing empathy interviews with their students and shared them at the staff meeting.",
    "We brought the driver diagram to our principals' meeting and they added two ideas.",
    "Our team now meets every other week with a set agenda, which we never had before.",
    "We decided to abandon the homework change and refine the exit ticket routine instead.",
    "The district office is looking at the screener data by school for the first time.",
    "We shared our run chart with the board. They asked good questions about the dip in January.",
    "Slowly. Teachers are willing, but testing season is eating all of our time.",
    "We are trying to spread the vocabulary routine to the second grade team.",
    "One principal is using the PDSA form for her own school improvement plan now.",
    "Not much yet. We lost our team lead to another district in December.",
    "We started small with one teacher and her class, so the stakes felt low for everybody.",
    "The math department is collecting the same exit ticket in every Algebra 1 section.",
    "Our superintendent now asks about the improvement work at every cabinet meeting.",
    "It has been hard since the schools closed. We moved our cycles online and they are slower.",
    "We are teaching the other teachers at our site how to read the run charts.",
    "We still argue about which data counts. Some of us trust the interim tests, some don't.",
    "We built a shared folder for our data and our coach checks it between convenings.",
    "We are using the protocol for looking at student work in our PLCs every Thursday.",
    "Trying to keep the focus on one problem instead of adding new initiatives every month.",
    "We presented our learning to the other elementary schools and two want to join next year.",
    "We are more honest with each other about what is not working.",
    "The teachers on our team lead the meetings now, not the district office.",
    "still figuring it out",
    "We interviewed ten families about reading at home and it changed what we want to test next.",
    "Our team added a counselor, so now we have someone who sees the students outside class.",
    "We are tracking attendance at the tutoring sessions weekly, which tells us fast if a change works.",
    "The principal gave us a protected hour every month during the staff meeting.",
    "We keep the convening notes up in the staff room so everyone can see what we are testing.",
    "Mostly in my own classroom. The rest of the site is not there yet.",
]

JOINERS = ["", "", "", " Also, ", " And ", " Plus, ", " "]
PLAIN_STARTS = {"Slowly", "Honestly", "Nothing", "Not", "Mostly", "Please", "Less", "More", "Fewer", "Shorter",
                "Still", "Everything", "Trying", "Data", "Give", "Have", "Let", "Send", "Offer", "Provide"}
LATER_ONLY = ("schools closed", "virtual option")  # school closures: only in the later year


def _answer(rng: random.Random, pool: list[str], districts: list[str], district: str, *, late: bool) -> str:
    """One answer: one to three sentences from the pool, sometimes joined casually."""
    if not late:
        pool = [p for p in pool if not any(w in p for w in LATER_ONLY)]
    n = rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
    picks = rng.sample(pool, n)
    casual = [p for p in picks if p[:1].islower()]
    if casual:  # "n/a", "still figuring it out": always an answer on its own
        picks = casual[:1]
    other = rng.choice([d for d in districts if d != district])
    text = ""
    for i, p in enumerate(picks):
        p = p.format(other=other)
        if i:
            joiner = rng.choice(JOINERS)
            if p.split(" ", 1)[0].rstrip(".,") in PLAIN_STARTS:
                joiner = " "
            if joiner.strip() in ("Also,", "And", "Plus,") and p[:1].isupper() and not p.startswith("I "):
                p = p[0].lower() + p[1:]
            text += joiner or " "
        text += p
    return text.strip()


def generate(respondents: int = 240, *, seed: int = 15, years: tuple[int, ...] = (2018, 2021),
             blanks: bool = True) -> list[dict]:
    """Rows (dicts) of an invented survey: id, district, role, year, convening, three answers.

    ``blanks=False``: every respondent answers every question (3 answers per row).
    """
    rng = random.Random(seed)
    rows = []
    for i in range(respondents):
        district = rng.choice(DISTRICTS)
        row = {"Respondent ID": f"{years[i % len(years)] % 100:02d}-{1001 + i}", "District": district,
               "Role": rng.choice(ROLES), "Year": years[i % len(years)], "Convening": rng.choice(CONVENINGS)}
        for q, pool, skip in ((Q_USEFUL, USEFUL, 0.04), (Q_CHANGE, CHANGE, 0.12), (Q_BACK_HOME, BACK_HOME, 0.2)):
            row[q] = "" if blanks and rng.random() < skip else _answer(rng, pool, DISTRICTS, district,
                                                                     late=row["Year"] == years[-1])
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=240)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", type=Path, default=SAMPLE)
    a = ap.parse_args()
    print(write_csv(a.out, generate(a.respondents, seed=a.seed)))


if __name__ == "__main__":
    main()

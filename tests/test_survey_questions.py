"""Which survey columns the import preview chooses as open questions (the rest are respondent
attributes): free text is a question whatever its header, short repeated values are not.

The sheet is like a new user's: a respondent id, a year and two open questions, 30 rows, one
question answered mostly in a few words ("More time.", "Trust."). It was taken for an
attribute, so by default its answers were not codable and the one respondent who answered
only it was left out (29 respondents, 29 answers instead of 30 and 59)."""

from __future__ import annotations

import io

import pytest

from qualcode.ingest.survey import looks_like_question, read_table
from qualcode.services import survey as svc

HELPED = "What helped your team work together this year?"
CHANGE = "What would you change about the coaching next year?"
HELPED_ANSWERS = [
    "More time.", "Trust.", "Our coach.", "Weekly check-ins.", "Honestly, the retreat in October.",
    "Having a shared goal.", "Data meetings.", "Laughing together.", "Clear roles.", "More time.",
    "Knowing each other's strengths.", "The norms we wrote in August.", "Our principal backing us.",
    "Shared planning time.", "Food at meetings!", "Being honest when things failed.", "The run charts.", "Trust.",
    "Talking every Friday.", "A common schedule.", "New members brought energy.", "Celebrating small wins.",
    "Our facilitator kept us on track.", "Less turnover.", "The empathy interviews with students.", "Group chat.",
    "Everyone showed up.", "Same team as last year.", "Listening more.", "Time."]
CHANGE_ANSWERS = [
    "Start the coaching earlier in the fall so we have time to test ideas before testing season.",
    "Fewer forms to fill out after each visit.", None, "Give us time to meet with the other districts more often.",
    "Nothing, it worked well for us.", "Bring the principals in from the start, not halfway through.", "More time.",
    "Shorter sessions, maybe an hour instead of the whole afternoon.", "Let teams pick the problem they work on.",
    "Check in by phone between visits when things are busy.", "I would like more examples from schools like ours.",
    "Less jargon in the slides please.", "Meet at our school instead of the district office.",
    "Keep the same coach all year.", "The data tool was confusing; a short training would help.",
    "More time to plan with my grade-level team.", "Honestly nothing, this was the best year.",
    "Pay substitutes so teachers can come.", "Share the agenda a week ahead.",
    "Include the counselors and the support staff too.", "Fewer meetings in May.",
    "Show us how other teams measured progress.", "Clearer goals at the start.", "Invite students to a session.",
    "Follow up after the summer break.", "Smaller groups for the discussions.",
    "More time for reflection at the end of each cycle.", "Record the sessions for people who miss them.",
    "Nothing.", "Spread the visits out more evenly."]


def team_xlsx(helped_header: str = HELPED) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Respondent ID", "Year", CHANGE, helped_header])
    for i, (change, helped) in enumerate(zip(CHANGE_ANSWERS, HELPED_ANSWERS)):
        ws.append([f"T{101 + i}", 2023 if i % 3 else 2024, change, helped])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_short_free_text_answers_are_a_question_not_an_attribute():
    table = read_table(team_xlsx(), "team.xlsx")
    assert table.guess_id_column() == "Respondent ID"
    assert table.guess_questions() == [CHANGE, HELPED]  # the preview's default choice
    parsed = svc.parse_survey(team_xlsx(), "team.xlsx")  # the defaults, as the preview has them
    summary = parsed.summary()
    assert (summary["respondents"], summary["answers"]) == (30, 59)
    assert summary["questions"] == {CHANGE: 29, HELPED: 30}
    assert summary["attributes"] == ["year"] and not parsed.problems


def test_free_text_is_a_question_whatever_its_header():
    table = read_table(team_xlsx("Q2"), "team.xlsx")
    assert table.guess_questions() == [CHANGE, "Q2"]


REPEATED = ["More time.", "Trust.", "Our coach.", "The bus.", "Nothing.", "Better snacks at meetings, honestly."]


def test_short_answers_that_repeat_are_still_questions_and_categories_stay_attributes():
    """A user's 15-row sheet: two open questions whose short answers repeat (6 different
    answers in 15 rows) went to respondent attributes, neither question chosen."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Respondent ID", "Year", "School", "Role", "Attended all?", HELPED, "Q2"])
    for i in range(15):
        ws.append([f"R{i + 1}", 2023 + i % 2, ["Lincoln", "Adams Middle", "Jefferson High"][i % 3],
                   ["teacher", "coach", "principal"][i % 3], ["Yes", "No"][i % 2],
                   REPEATED[i % 6], REPEATED[(i * 5 + 2) % 6]])
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "repeats.xlsx")
    assert table.guess_questions() == [HELPED, "Q2"]
    parsed = svc.parse_survey(buf.getvalue(), "repeats.xlsx")
    assert parsed.questions == [HELPED, "Q2"]
    assert sorted(parsed.attributes) == ["attended_all", "role", "school", "year"]

def test_a_respondent_who_answered_only_an_unchosen_question_is_left_out_and_the_warning_says_where():
    parsed = svc.parse_survey(team_xlsx(), "team.xlsx", questions=[CHANGE])
    assert (len(parsed.documents), parsed.answers) == (29, 29)
    (warning,) = [str(p) for p in parsed.problems]
    assert "line 4" in warning and "1 respondent(s) answered none of the chosen questions" in warning
    assert repr(HELPED) in warning and "choose it to keep them" in warning
    assert "--" not in warning


@pytest.mark.parametrize("header, values", [
    ("Year", ["2023", "2024", "2023", "2024"] * 5),
    ("Year", ["2023", "2024", "2022"]),
    ("School", ["Lincoln Elementary", "Adams Middle School", "Jefferson High"] * 8),
    ("School", ["Lincoln Elementary", "Adams Middle School", "Jefferson High"]),  # few rows, all distinct
    ("Role", ["team lead", "team member", "team member", "coach", "principal"] * 6),
    ("Grade", ["9th grade", "10th grade", "9th grade", "11th grade", "12th grade", "10th grade"]),
    ("Name", ["Maria Lopez", "John Smith", "Ann Lee", "Bo Chen"]),
    ("Email", ["a@school.org", "b@school.org", "c@school.org"]),
    ("Start date", ["2023-09-01 10:22:01", "2023-09-02 11:02:13", "2023-09-02 09:12:44"]),
    ("How many years have you taught?", ["5", "12", "3", "20", "1"]),
    ("Did you attend every session?", ["Yes", "No", "Yes", "Yes", "No"]),
    ("What is your role?", ["Teacher", "Principal", "Coach"] * 4),
    ("District", ["North Ridge", "South Fork", "East Valley School District"] * 10),
    ("Respondent", [f"r{i} of the fall cohort" for i in range(10)]),  # an id, however wordy
    ("Anything else?", ["N/A", "n/a", "None", "", "Nothing."]),
    ("How did you hear about us?", ["Email", "A friend", "Flyer", "Email", "The website"] * 3),
    ("Which school?", ["Adams Middle School", "Lincoln", "Jefferson High"] * 5),
    ("Status", ["Done.", "Done.", "Pending.", "Done."] * 4),
])
def test_short_repeated_values_numbers_and_ids_are_attributes(header, values):
    assert not looks_like_question(header, values)


@pytest.mark.parametrize("header, values", [
    ("What helped?", ["More time.", "Trust.", "Our coach, honestly.", "Weekly meetings."]),
    ("Comments", ["Loved it", "Thanks for everything", "More snacks", "N/A", "N/A", "Good"]),
    ("Please describe one change you made", ["New exit tickets", "Seating", "We started peer visits", ""]),
    ("Q3", ["More time.", "Trust.", "Our coach.", "Weekly check-ins.", "Honestly, the retreat."]),
    ("Notes", ["The coach came twice and we planned the next cycle together.",
               "Nothing new this month.", "Principal joined the meeting for the first time."]),
])
def test_varied_text_answers_are_questions(header, values):
    assert looks_like_question(header, values)

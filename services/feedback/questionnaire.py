"""The questionnaire of each form as versioned definitions the coordinator keeps. No I/O here.

Version 1 of each form is seeded (the questions every form answered before the coordinator could change
them); each definition the coordinator makes is the next version. An answer names the version it answered
and is checked, and later read, against that version, so old answers always read.
"""

from __future__ import annotations

from services.feedback.events import Dimension, Form, Question, QuestionKind, QuestionnaireDefined, Texts
from shared.aggregate import Aggregate
from shared.errors import FieldProblem, Invalid, NotFound

SCALE = range(1, 6)
TEXT_MAX = 4000


def _q(qid: str, fi: str, sv: str, en: str, dimension: Dimension | None = None) -> Question:
    return Question(id=qid, kind=QuestionKind.scale, text=Texts(fi=fi, sv=sv, en=en), dimension=dimension)


# Version 1 of each form: the questions answered on a scale of 1 (not at all) to 5 (fully) before the
# questionnaires could be changed. Their ids are the keys of the answers recorded then.
SEEDED: dict[Form, tuple[Question, ...]] = {
    Form.self_assessment: (
        _q("preparation", "Sain riittävästi tietoa tehtävään valmistautumiseen.",
           "Jag fick tillräckligt med information för att förbereda mig för uppdraget.",
           "I was given enough information to prepare for the assignment.", Dimension.preparation),
        _q("own_wellbeing", "Tehtävä ei kuormittanut minua enempää kuin jaksoin.",
           "Uppdraget belastade mig inte mer än jag orkade.",
           "The assignment did not strain me more than I could carry.", Dimension.own_wellbeing),
        _q("experience_heard", "Kokemustani kuultiin ja arvostettiin.", "Min erfarenhet blev hörd och uppskattad.",
           "My lived experience was heard and valued.", Dimension.experience_heard),
        _q("would_do_again", "Ottaisin vastaavan tehtävän uudelleen.", "Jag skulle ta ett liknande uppdrag igen.",
           "I would take a similar assignment again."),
    ),
    Form.orderer_feedback: (
        _q("usefulness", "Kokemusasiantuntijan kokemustieto oli hyödyllistä työllemme.",
           "Erfarenhetsexpertens erfarenhetskunskap var till nytta för vårt arbete.",
           "The expert's lived experience was useful for our work.", Dimension.usefulness),
        _q("expert_preparation", "Kokemusasiantuntija oli valmistautunut tehtävään hyvin.",
           "Erfarenhetsexperten var väl förberedd för uppdraget.",
           "The expert was well prepared for the task.", Dimension.preparation),
        _q("cooperation", "Tehtävästä sopiminen ja sen toteutus sujuivat hyvin.",
           "Att avtala om och genomföra uppdraget gick smidigt.",
           "Agreeing and carrying out the assignment went smoothly.", Dimension.cooperation),
        _q("would_order_again", "Tilaisimme kokemusasiantuntijan uudelleen.",
           "Vi skulle beställa en erfarenhetsexpert igen.", "We would order an experience expert again."),
    ),
}


def check_definition(questions: tuple[Question, ...]) -> None:
    """A questionnaire both forms can be compared by: unique ids; every shared dimension asked once, on the
    scale; a choice question with two or more options of unique ids, and options on choice questions only."""
    problems: list[FieldProblem] = []
    seen_ids: set[str] = set()
    asked: set[Dimension] = set()
    for at, question in enumerate(questions):
        where = f"questions.{at}"
        if question.id in seen_ids:
            problems.append(FieldProblem(f"{where}.id", f"{question.id} is asked twice", "a question id once"))
        seen_ids.add(question.id)
        if question.id in Dimension.__members__ and question.dimension != question.id:
            problems.append(FieldProblem(f"{where}.dimension", f"{question.id} names a shared dimension",
                                         f"dimension {question.id}, or another id"))
        if question.dimension is not None:
            if question.dimension in asked:
                problems.append(FieldProblem(f"{where}.dimension", f"{question.dimension.value} is asked twice",
                                             "each shared dimension once"))
            asked.add(question.dimension)
            if question.kind is not QuestionKind.scale:
                problems.append(FieldProblem(f"{where}.kind", f"a shared dimension asked as {question.kind.value}",
                                             "scale, so both forms can be compared"))
            # The wellbeing answer is sealed by its id on the bus and in the read tables.
            if question.dimension is Dimension.own_wellbeing and question.id != Dimension.own_wellbeing.value:
                problems.append(FieldProblem(f"{where}.id", "the own-wellbeing question has another id",
                                             "own_wellbeing"))
        option_ids = [option.id for option in question.options]
        if question.kind is QuestionKind.choice and (len(option_ids) < 2 or len(set(option_ids)) < len(option_ids)):
            problems.append(FieldProblem(f"{where}.options", "has fewer than two options or one twice",
                                         "two or more options, each id once"))
        if question.kind is not QuestionKind.choice and option_ids:
            problems.append(FieldProblem(f"{where}.options", f"are given to a {question.kind.value} question",
                                         "options on choice questions only"))
    missing = [d.value for d in Dimension if d not in asked]
    if missing:
        problems.append(FieldProblem("questions", f"do not ask {', '.join(missing)}",
                                     f"every shared dimension: {', '.join(d.value for d in Dimension)}"))
    if problems:
        raise Invalid("the questionnaire cannot be defined: "
                      + "; ".join(f"{p.field} {p.reason}" for p in problems), problems)


def check_answers(form: Form, questions: tuple[Question, ...], ratings: dict[str, int], choices: dict[str, str],
                  texts: dict[str, str]) -> None:
    """Every scale and choice question answered once, in its own kind and range; free text optional."""
    problems: list[FieldProblem] = []
    by_kind = {kind: {q.id: q for q in questions if q.kind is kind} for kind in QuestionKind}
    for field, given, kind in (("ratings", ratings, QuestionKind.scale), ("choices", choices, QuestionKind.choice),
                               ("texts", texts, QuestionKind.text)):
        allowed = ", ".join(by_kind[kind]) or "none"
        problems += [FieldProblem(f"{field}.{qid}", f"is not a {kind.value} question of the {form.value} form",
                                  allowed) for qid in given if qid not in by_kind[kind]]
    problems += [FieldProblem(f"ratings.{qid}", "is not answered", "an integer from 1 to 5")
                 for qid in by_kind[QuestionKind.scale] if qid not in ratings]
    problems += [FieldProblem(f"ratings.{qid}", f"{value} is off the scale", "an integer from 1 to 5")
                 for qid, value in ratings.items() if qid in by_kind[QuestionKind.scale] and value not in SCALE]
    for qid, question in by_kind[QuestionKind.choice].items():
        options = [option.id for option in question.options]
        if qid not in choices:
            problems.append(FieldProblem(f"choices.{qid}", "is not answered", f"one of {', '.join(options)}"))
        elif choices[qid] not in options:
            problems.append(FieldProblem(f"choices.{qid}", f"{choices[qid]} is not an option",
                                         f"one of {', '.join(options)}"))
    problems += [FieldProblem(f"texts.{qid}", f"is {len(text)} characters long", f"at most {TEXT_MAX} characters")
                 for qid, text in texts.items() if len(text) > TEXT_MAX]
    if problems:
        summary = "; ".join(f"{p.field} {p.reason}" for p in problems)
        raise Invalid(f"the {form.value} form is not filled correctly: {summary}", problems)


class Questionnaire(Aggregate):
    """The versions of one form's questionnaire; its id is the form."""

    stream_prefix = "questionnaire"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.form = Form(aggregate_id)
        self.versions: dict[int, tuple[Question, ...]] = {1: SEEDED[self.form]}

    @property
    def current(self) -> int:
        return max(self.versions)

    def questions(self, version: int | None = None) -> tuple[Question, ...]:
        chosen = self.current if version is None else version
        if chosen not in self.versions:
            raise NotFound(f"the {self.form.value} questionnaire has no version {chosen} "
                           f"(versions 1 to {self.current})")
        return self.versions[chosen]

    def dimensions(self) -> dict[int, dict[str, Dimension]]:
        """Each version's question ids that ask a shared dimension."""
        return {version: {q.id: q.dimension for q in questions if q.dimension is not None}
                for version, questions in self.versions.items()}

    def define(self, questions: tuple[Question, ...]) -> int:
        """Make ``questions`` the next version (the same questions again change nothing); return the version."""
        check_definition(questions)
        if questions == self.versions[self.current]:
            return self.current
        self.record(QuestionnaireDefined(form=self.form, version=self.current + 1, questions=questions))
        return self.current

    def when_QuestionnaireDefined(self, event: QuestionnaireDefined) -> None:
        self.versions[event.version] = tuple(event.questions)

"""A second version of both questionnaires, as a coordinator would define it: every shared dimension asked on
both forms, a choice and a free-text question, texts in Finnish, Swedish and English."""

from __future__ import annotations

from typing import Any


def texts(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


SHARED = [
    {"id": "preparation", "kind": "scale", "dimension": "preparation",
     "text": texts("Valmistautuminen sujui.", "Förberedelserna gick bra.", "Preparation went well.")},
    {"id": "experience_heard", "kind": "scale", "dimension": "experience_heard",
     "text": texts("Kokemus tuli kuulluksi.", "Erfarenheten blev hörd.", "The experience was heard.")},
    {"id": "usefulness", "kind": "scale", "dimension": "usefulness",
     "text": texts("Tehtävä oli hyödyllinen.", "Uppdraget var nyttigt.", "The assignment was useful.")},
    {"id": "cooperation", "kind": "scale", "dimension": "cooperation",
     "text": texts("Yhteistyö sujui.", "Samarbetet gick bra.", "Cooperation went well.")},
    {"id": "own_wellbeing", "kind": "scale", "dimension": "own_wellbeing",
     "text": texts("Jaksoin hyvin.", "Jag orkade bra.", "I coped well.")},
]
CHANNEL = {"id": "channel", "kind": "choice",
           "text": texts("Miten tehtävä tuli?", "Hur kom uppdraget?", "How did the assignment come?"),
           "options": [{"id": "organization", "text": texts("Järjestön kautta", "Via organisationen",
                                                            "Through the organization")},
                       {"id": "direct", "text": texts("Suoraan", "Direkt", "Directly")}]}
LEARNED = {"id": "learned", "kind": "text",
           "text": texts("Mitä opit?", "Vad lärde du dig?", "What did you learn?")}
VERSION_2: list[dict[str, Any]] = [*SHARED, CHANNEL, LEARNED]

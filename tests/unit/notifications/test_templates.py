"""The messages' texts: every kind in Finnish, Swedish and English, and nothing in them but the link."""

import string

import pytest

from services.notifications.domain.templates import TEMPLATES, render
from services.notifications.events import Language, MessageKind
from services.orders import events as orders
from services.registry import events as registry

# Fields of the other services' events that say what a task is about, where, for how much, or tell of a
# person's health or life situation: none of them may ever reach a message.
TELLING = {name for cls in (orders.OrderPlaced, orders.EngagementOpened, registry.ExpertRegistered,
                            registry.ExpertProfileChanged) for name in cls.model_fields
           if name in cls.personal_fields() or name in {"fee", "task_type", "date", "duration_hours"}}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_kind_has_a_text_in_every_language():
    assert set(TEMPLATES) == set(MessageKind)
    for kind, texts in TEMPLATES.items():
        assert set(texts) == set(Language), kind


@pytest.mark.parametrize("kind", list(MessageKind))
def test_a_text_takes_only_the_link_and_no_special_category_field(kind):
    for language, (subject, sentence) in TEMPLATES[kind].items():
        assert placeholders(subject) == set(), (kind, language)
        assert placeholders(sentence) == {"link"}, (kind, language)
        assert not placeholders(sentence) & TELLING


def test_the_telling_fields_are_known_to_the_check():
    # The check above is only as good as its list: the topic, place, fee and lived experience are on it.
    assert {"topic", "place", "fee", "experience", "themes"} <= TELLING


def test_a_message_is_in_the_persons_language_and_links_to_the_page():
    link = "https://kokemus.example.fi/expert/offers"
    finnish, swedish = render(MessageKind.offer_made, Language.fi, link), render(MessageKind.offer_made,
                                                                                   Language.sv, link)
    assert finnish.subject == "Uusi toimeksiantotarjous" and link in finnish.body and link in finnish.short
    assert swedish.subject == "Nytt uppdragserbjudande" and link in swedish.short

"""A person's contact book entry: what may be given, what cannot be turned off, and erasure."""

import pytest

from services.notifications.domain.contact import Contact
from services.notifications.events import Channel, Language, MessageKind
from shared.errors import Invalid


def test_the_channel_needs_its_address():
    contact = Contact("maija")
    with pytest.raises(Invalid) as missing:
        contact.set_details(None, "+358401234567", Language.fi, Channel.email)
    assert missing.value.fields[0].field == "email"
    with pytest.raises(Invalid) as wrong:
        contact.set_details("maija@example.org", "040 123", Language.fi, Channel.sms)
    assert wrong.value.fields[0].field == "phone"


def test_setting_the_same_details_again_records_nothing():
    contact = Contact("maija")
    contact.set_details("maija@example.org", None, Language.sv, Channel.email)
    contact.pending.clear()
    contact.set_details(" maija@example.org ", None, Language.sv, Channel.email)
    assert contact.pending == []


def test_the_required_kinds_cannot_be_turned_off():
    contact = Contact("maija")
    with pytest.raises(Invalid) as refused:
        contact.set_muted([MessageKind.offer_made, MessageKind.feedback_reminder])
    assert refused.value.fields[0].field == "muted"
    assert "offer_made" in refused.value.fields[0].reason


def test_a_muted_kind_is_not_wanted_a_required_one_always_is():
    contact = Contact("maija")
    contact.set_details("maija@example.org", None, Language.fi, Channel.email)
    contact.set_muted([MessageKind.feedback_reminder])
    assert not contact.wants(MessageKind.feedback_reminder)
    assert contact.wants(MessageKind.offer_made) and contact.wants(MessageKind.feedback_requested)


def test_forgetting_names_the_key_to_shred_and_details_given_again_get_a_new_one():
    contact = Contact("maija")
    contact.set_details("maija@example.org", None, Language.fi, Channel.email)
    assert contact.forget() == "maija"
    assert contact.address() is None and not contact.wants(MessageKind.offer_made)
    contact.set_details("maija@example.org", None, Language.fi, Channel.email)
    assert contact.subject_id == "maija#1"
    assert Contact("nobody").forget() is None

"""The key ring's setting: read from the pairs or a file, refused with a message naming the variable and the
expected form; a wrapped key opens only for the subject it was wrapped for."""

from __future__ import annotations

import pytest

from shared.eventstore.keyring import KeyRing, KeyRingError

PAIR = KeyRing.new_pair("2026-12")


def test_the_ring_reads_from_its_pairs_or_a_file_and_the_first_pair_wraps(tmp_path):
    older = KeyRing.new_pair("2025-01")
    ring = KeyRing.parse(f" {PAIR} , {older} ")
    assert [key_id for key_id, _ in ring.keys] == ["2026-12", "2025-01"] and ring.current == "2026-12"
    saved = tmp_path / "ring"
    saved.write_text(f"{PAIR},{older}\n")
    assert KeyRing.parse(str(saved)) == ring
    assert KeyRing.parse(None) == KeyRing.parse("  ") == KeyRing()


@pytest.mark.parametrize("setting, named", [
    ("2026-12:c2hvcnQ", "key '2026-12' is not 32 bytes"),
    (":" + PAIR.partition(":")[2], "pair 1 has no valid id"),
    (f"{PAIR},bad id:{PAIR.partition(':')[2]}", "pair 2 has no valid id"),
    (f"{PAIR},{PAIR}", "an id is given twice"),
    ("/nonexistent/ring", "cannot read /nonexistent/ring"),
])
def test_a_malformed_ring_is_refused_naming_the_setting_and_the_expected_form(setting, named):
    with pytest.raises(KeyRingError) as refused:
        KeyRing.parse(setting)
    assert str(refused.value).startswith("KOKEMUS_KEY_ENCRYPTION_KEYS: ") and named in str(refused.value)


def test_a_wrapped_key_opens_for_its_subject_only():
    ring = KeyRing.parse(PAIR)
    key_id, wrapped = ring.wrap("maija", b"k" * 32)
    assert ring.unwrap("maija", key_id, wrapped) == b"k" * 32
    with pytest.raises(KeyRingError, match="does not open"):  # the same bytes copied to another subject's row
        ring.unwrap("pekka", key_id, wrapped)
    assert KeyRing().wrap("maija", b"k" * 32) == (None, b"k" * 32)  # no ring: kept as it is

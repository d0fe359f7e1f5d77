"""The global log's horizon from a snapshot's xmax and the 32-bit ids of the role's running transactions."""

from shared.eventstore.postgres_reading import XID_SPACE, horizon


def test_no_running_transaction_of_the_role_leaves_the_snapshot_xmax():
    assert horizon(5_000, []) == 5_000


def test_the_oldest_running_transaction_assigned_before_xmax_bounds_it():
    assert horizon(5_000, [4_990, 4_700, 4_999]) == 4_700


def test_ids_assigned_at_or_after_xmax_do_not_count():
    assert horizon(5_000, [5_000, 5_010]) == 5_000


def test_an_id_from_the_previous_epoch_is_placed_behind_xmax():
    xmax = 3 * XID_SPACE + 10  # the 32-bit counter wrapped a moment ago
    assert horizon(xmax, [XID_SPACE - 5]) == 3 * XID_SPACE - 5


def test_an_id_from_the_next_epoch_is_ahead_and_does_not_count():
    xmax = 3 * XID_SPACE + XID_SPACE - 3
    assert horizon(xmax, [4]) == xmax

"""The rollup's pieces of a period: whole quarters and months from their totals, a month in part from two
running totals (up to its last day in the period, less up to the day before its first)."""

import datetime as dt

from services.feedback.rollup import pieces


def d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def test_whole_quarters_and_months_are_read_from_their_totals():
    assert pieces(d(1, 1), d(3, 31)) == [("q", d(1, 1), 1)]
    # By month (the joint places, which the report breaks down by month):
    assert pieces(d(1, 1), d(3, 31), quarters=False) == [("m", d(1, 1), 1), ("m", d(2, 1), 1), ("m", d(3, 1), 1)]
    assert pieces(d(2, 1), d(4, 30)) == [("m", d(2, 1), 1), ("m", d(3, 1), 1), ("m", d(4, 1), 1)]


def test_a_month_in_part_is_a_difference_of_running_totals():
    assert pieces(d(2, 10), d(2, 12)) == [("c", d(2, 12), 1), ("c", d(2, 9), -1)]
    assert pieces(d(2, 1), d(2, 12)) == [("c", d(2, 12), 1)]  # from the first: nothing to take off
    assert pieces(d(2, 10), d(2, 28)) == [("c", d(2, 28), 1), ("c", d(2, 9), -1)]


def test_a_year_across_a_new_year_is_two_ends_and_the_months_between():
    found = pieces(d(12, 15, 2025), d(12, 14))
    assert found[:2] == [("c", d(12, 31, 2025), 1), ("c", d(12, 14, 2025), -1)]
    assert found[2:-1] == [("q", d(1, 1), 1), ("q", d(4, 1), 1), ("q", d(7, 1), 1), ("m", d(10, 1), 1),
                           ("m", d(11, 1), 1)]
    assert found[-1] == ("c", d(12, 14), 1)
    assert pieces(d(3, 2), d(3, 1)) == []  # an empty period

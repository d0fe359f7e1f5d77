"""The flow benchmark's arithmetic and table, on figures made up here (the benchmark itself needs the whole
stack and minutes; nothing here is timed)."""

from __future__ import annotations

from bench.flow import Figure, Result, as_json, render
from bench.report import percentile


def test_percentiles_are_nearest_rank_so_a_p99_of_few_samples_is_the_largest():
    hundred = [float(n) for n in range(100, 0, -1)]
    assert (percentile(hundred, 0.5), percentile(hundred, 0.99)) == (50.0, 99.0)
    assert percentile([0.3, 0.1, 0.2], 0.99) == 0.3


def test_every_figure_is_printed_with_its_ratio_to_the_floor():
    result = Result(
        [Figure("floor", "NATS request-reply round trip", [0.001] * 10),
         Figure("engagements", "1 at once: order to closed", [0.5, 1.0], rate=2.0, note="2 engagements in 1.0 s"),
         Figure("hops, 1 at once", "orders.EngagementOpened → contracts.ContractDrafted", [0.02, 0.04])],
        floor_p50=0.002, floor_p99=0.004, settings={"levels": [1]})
    table = render(result)
    hop = next(line for line in table.splitlines() if line.startswith("orders.EngagementOpened"))
    assert hop.split()[-4:] == ["20.00", "40.00", "10.00", "10.00"]  # p50 ms, p99 ms, p50 × floor, p99 × floor
    assert "2.0 engagements/s, × floor 250.00" in table  # half a second per engagement, over 2 ms
    figures = as_json(result)["figures"]
    assert [f["p50_to_floor"] for f in figures] == [0.5, 250.0, 10.0]

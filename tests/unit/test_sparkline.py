"""The console's one sparkline (no etcd, no console): the signal rows of pane 2 and the
member detail's db size trend draw with it."""

from __future__ import annotations

from etcdtui.ui.widgets.health_metrics import BARS, sparkline


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([]) == ""
    assert sparkline([5, 5, 5]) == BARS[0] * 3
    assert sparkline([0, 7]) == BARS[0] + BARS[-1]
    assert len(sparkline(range(100), width=12)) == 12


def test_sparkline_against_a_threshold_starts_at_zero() -> None:
    # 2 ms and 4 ms against a 10 ms healthy value: low bars, not the full range
    assert sparkline([0.002, 0.004], top=0.010) == BARS[1] + BARS[3]
    # past the threshold the highest point takes the top bar
    assert sparkline([0.002, 0.020], top=0.010)[-1] == BARS[-1]


def test_the_member_detail_draws_its_db_trend_with_the_same_sparkline() -> None:
    from etcdtui.ui.screens import detail

    assert detail.sparkline is sparkline
    assert sparkline([]) == ""
    assert sparkline([5.0, 5.0]) == "▁▁"
    # each value takes its nearest bar (the detail screen's own copy truncated: "▁▄█")
    assert sparkline([0.0, 50.0, 100.0]) == "▁▅█"
    assert len(sparkline([float(i) for i in range(100)], width=10)) == 10

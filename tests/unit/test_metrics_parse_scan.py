"""The /metrics parser reads only the wanted families (one search each, then the
family's group of lines); it must give exactly what reading every line gives."""

from __future__ import annotations

import pytest

from etcdtui.services.metrics import parse_text
from tests.support.metrics_reference import SCRAPE, every_line

NOISE = """\
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 93
grpc_server_handled_total{grpc_code="OK",grpc_method="Range",grpc_type="unary"} 12
"""

CASES = {
    "etcd-like": NOISE + SCRAPE + NOISE,
    "first line a sample, no final newline": (
        'etcd_server_has_leader 1\netcd_server_id{server_id="a"} 1'
    ),
    "malformed and unparsable values": "etcd_server_has_leader\netcd_server_is_leader x\n"
    "etcd_server_proposals_pending{oops 3\netcd_server_proposals_failed_total 4\n",
    "crlf line ends": "etcd_server_has_leader 1\r\netcd_server_is_leader 0\r\n",
    "empty braces and escaped quotes": 'etcd_server_id{} 1\netcd_server_id{server_id="a\\"b"} 2\n',
    "a family split by another line (against the format)": "etcd_server_has_leader 1\n"
    "go_goroutines 3\netcd_server_has_leader 2\n",
    "nothing wanted": NOISE,
    "empty": "",
}


@pytest.mark.parametrize("name", [n for n in CASES if "against the format" not in n])
def test_scan_gives_what_every_line_gives(name: str) -> None:
    text = CASES[name]
    assert parse_text(text) == every_line(text)


def test_overlapping_wanted_names_count_each_line_once() -> None:
    text = 'etcd_a 1\netcd_ab 2\netcd_abc{x="1"} 3\n'
    assert parse_text(text, ("etcd_ab", "etcd_a", "etcd_abc")) == every_line(
        text, ("etcd_ab", "etcd_a", "etcd_abc")
    )
    assert parse_text(text, ("etcd_ab",)) == {
        "etcd_ab": [((), 2.0)],
        "etcd_abc": [((("x", "1"),), 3.0)],
    }


def test_a_split_family_keeps_its_first_group() -> None:
    # The text format gives one family as one group; a second group is not read.
    assert parse_text(CASES["a family split by another line (against the format)"]) == {
        "etcd_server_has_leader": [((), 1.0)]
    }

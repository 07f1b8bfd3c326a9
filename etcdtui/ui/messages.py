"""Typed messages that workers post to the app. Workers never touch widgets.

Each payload is a frozen dataclass; the Message subclass only carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from etcdtui.cluster_data import Alarm, EndpointHealth, EndpointStatus, MemberList
from etcdtui.ops.health import MemberMetrics

if TYPE_CHECKING:
    from etcdtui.ops.health import ConsistencyReport


@dataclass(frozen=True)
class MembersPoll:
    members: MemberList | None
    alarms: tuple[Alarm, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class EndpointPoll:
    url: str
    status: EndpointStatus
    health: EndpointHealth


@dataclass(frozen=True)
class PollStarted:
    url: str


@dataclass(frozen=True)
class ActionProgress:
    text: str


@dataclass(frozen=True)
class MetricsPoll:
    url: str
    metrics: MemberMetrics


@dataclass(frozen=True)
class ConsistencyPoll:
    report: ConsistencyReport | None
    error: str | None = None


class ConsistencyChecked(Message):
    def __init__(self, data: ConsistencyPoll) -> None:
        super().__init__()
        self.data = data


class MetricsPolled(Message):
    def __init__(self, data: MetricsPoll) -> None:
        super().__init__()
        self.data = data


class MembersPolled(Message):
    def __init__(self, data: MembersPoll) -> None:
        super().__init__()
        self.data = data


class EndpointPolled(Message):
    def __init__(self, data: EndpointPoll) -> None:
        super().__init__()
        self.data = data


class EndpointPollStarted(Message):
    def __init__(self, data: PollStarted) -> None:
        super().__init__()
        self.data = data


class ActionProgressed(Message):
    def __init__(self, data: ActionProgress) -> None:
        super().__init__()
        self.data = data

"""Typed messages the snapshot workers post; payloads are frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from etcdtui.ops.snapshot_save import SaveProgress
from etcdtui.ops.snapshots import CatalogEntry, VerifyResult
from etcdtui.ui.snapshots.pane_data import ContentsIndex


@dataclass(frozen=True)
class Catalog:
    directory: str
    entries: tuple[CatalogEntry, ...]
    checked: bool  # False: listed only; True: every file verified
    missing: bool = False  # the directory does not exist (yet)


@dataclass(frozen=True)
class Detail:
    path: str
    result: VerifyResult


@dataclass(frozen=True)
class Contents:
    path: str
    index: ContentsIndex


@dataclass(frozen=True)
class Diff:
    older: str
    newer: str
    report: dict[str, Any]


class CatalogLoaded(Message):
    def __init__(self, data: Catalog) -> None:
        super().__init__()
        self.data = data


class DetailLoaded(Message):
    def __init__(self, data: Detail) -> None:
        super().__init__()
        self.data = data


class ContentsLoaded(Message):
    def __init__(self, data: Contents) -> None:
        super().__init__()
        self.data = data


class DiffLoaded(Message):
    def __init__(self, data: Diff) -> None:
        super().__init__()
        self.data = data


class SaveProgressed(Message):
    def __init__(self, data: SaveProgress) -> None:
        super().__init__()
        self.data = data

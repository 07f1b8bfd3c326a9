"""``@record`` (etcdtui/records.py) behaves as ``@dataclass`` on every feature the
records use: each check runs on a record and on its dataclass twin and compares."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from etcdtui import records


def _classes(deco: Callable[..., Any], fld: Callable[..., Any]) -> dict[str, type]:
    @deco(frozen=True)
    class Point:
        """A frozen record with every kind of field."""

        kind: ClassVar[str] = "point"
        x: int
        y: int
        label: str = "p"
        secret: str | None = fld(default=None, repr=False)
        tags: tuple[str, ...] = ()
        extra: dict[str, int] = fld(default_factory=dict)

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

    @deco(frozen=True)
    class Redacted:
        key: bytes | None = None

        def __repr__(self) -> str:
            return "Redacted(<redacted>)"

    @deco
    class Mutable:
        items: list[str] = fld(default_factory=list)
        count: int = 0

        def __post_init__(self) -> None:
            self.count = len(self.items)

    return {"Point": Point, "Redacted": Redacted, "Mutable": Mutable}


REC = _classes(records.record, records.field)
DC = _classes(dataclasses.dataclass, dataclasses.field)


def both(name: str) -> list[type]:
    return [REC[name], DC[name]]


def outcome(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:  # the kind of failure must match too
        return ("raised", type(exc))


def same(fn: Callable[[type], Any], name: str) -> None:
    got, want = (outcome(lambda c=c: fn(c)) for c in both(name))
    assert got == want


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c(1, 2),
        lambda c: c(1, y=2, label="q", secret="s", tags=("a",), extra={"k": 1}),
        lambda c: c(x=1, y=2),
        lambda c: c(1),
        lambda c: c(1, 2, "q", "s", ("t",), {}, "too many"),
        lambda c: c(1, 2, x=3),
        lambda c: c(1, 2, nope=3),
    ],
)
def test_init_repr_eq_hash_as_a_dataclass(make: Callable[[type], Any]) -> None:
    same(lambda c: repr(make(c)).replace(c.__qualname__, "Point"), "Point")
    same(lambda c: make(c) == make(c), "Point")
    same(lambda c: hash(make(c)) == hash(make(c)), "Point")
    same(lambda c: make(c).norm(), "Point")


def test_fields_of_a_record_as_a_dataclass_has_them() -> None:
    rec, dc = both("Point")
    assert rec.__match_args__ == dc.__match_args__
    assert rec.kind == dc.kind == "point"
    assert rec.label == dc.label == "p"  # a plain default is a class attribute
    assert not hasattr(rec, "extra") and not hasattr(dc, "extra")
    assert dataclasses.is_dataclass(rec)
    got = [(f.name, f.type, f.default, f.default_factory, f.repr) for f in dataclasses.fields(rec)]
    want = [(f.name, f.type, f.default, f.default_factory, f.repr) for f in dataclasses.fields(dc)]
    assert got == want
    assert rec.__dataclass_params__.frozen and not REC["Mutable"].__dataclass_params__.frozen


def test_factories_give_each_instance_its_own_value() -> None:
    for c in both("Point"):
        a, b = c(1, 2), c(1, 2)
        assert a.extra == {} and a.extra is not b.extra


def test_frozen_fields_refuse_assignment_as_a_dataclass_does() -> None:
    for c in both("Point"):
        p = c(1, 2)
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'x'"):
            p.x = 3
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.other = 3
        with pytest.raises(dataclasses.FrozenInstanceError):
            del p.y


def test_equality_needs_the_same_class() -> None:
    rec, dc = both("Point")
    assert rec(1, 2) != dc(1, 2)
    assert rec(1, 2) != (1, 2, "p", None, (), {})
    assert rec(1, 2) != rec(1, 3)
    assert rec(1, 2, secret="a") != rec(1, 2, secret="b")  # repr=False still compares


def test_repr_leaves_out_hidden_fields_and_keeps_the_class_own() -> None:
    p = REC["Point"](1, 2, secret="hunter2")
    assert "hunter2" not in repr(p)
    assert repr(p).endswith("Point(x=1, y=2, label='p', tags=(), extra={})")
    assert repr(REC["Redacted"](b"k")) == "Redacted(<redacted>)"


def test_not_frozen_is_mutable_unhashable_and_runs_post_init() -> None:
    for c in both("Mutable"):
        m = c(["a", "b"])
        assert m.count == 2
        m.count = 5
        assert m.count == 5
        assert c.__hash__ is None
        with pytest.raises(TypeError):
            hash(m)


def test_replace_asdict_copy_and_pickle_work_on_records() -> None:
    rec = REC["Point"]
    p = rec(1, 2, tags=("a",))
    assert records.replace(p, y=5) == dataclasses.replace(p, y=5) == rec(1, 5, tags=("a",))
    with pytest.raises(TypeError):
        records.replace(p, nope=1)
    assert dataclasses.asdict(p) == {
        "x": 1,
        "y": 2,
        "label": "p",
        "secret": None,
        "tags": ("a",),
        "extra": {},
    }
    assert copy.deepcopy(p) == p
    assert copy.copy(p) == p


def test_pickle_of_a_module_level_record() -> None:
    from etcdtui.cluster_data import EndpointHealth

    h = EndpointHealth("https://127.0.0.1:2379", True, latency_ms=1.5)
    assert pickle.loads(pickle.dumps(h)) == h  # noqa: S301 (our own bytes)


def test_definition_errors_as_dataclass_gives_them() -> None:
    for deco in (records.record, dataclasses.dataclass):
        with pytest.raises(TypeError, match="non-default argument"):

            @deco
            class Bad:
                a: int = 1
                b: int

        with pytest.raises(ValueError, match="mutable default"):

            @deco
            class Shared:
                a: list[int] = []  # noqa: RUF012


def test_every_record_on_the_status_path_is_a_dataclass_to_its_users() -> None:
    from etcdtui import cluster_data
    from etcdtui.config import contexts
    from etcdtui.services import advisories, metrics, quick_status
    from etcdtui.services.etcdapi import credentials, endpoint

    modules = (cluster_data, contexts, advisories, metrics, quick_status, credentials, endpoint)
    found = [
        v
        for mod in modules
        for v in vars(mod).values()
        if isinstance(v, type) and "__record_fields__" in vars(v)
    ]
    assert len(found) >= 15
    for cls in found:
        names = tuple(f.name for f in dataclasses.fields(cls))
        assert names == cls.__record_fields__, cls
        assert cls.__dataclass_params__.frozen, cls
    s = cluster_data.ConnectionSettings(("https://127.0.0.1:2379",), password="pw")
    assert "pw" not in repr(s)
    assert dataclasses.replace(s, timeout=3.0).password == "pw"
    assert records.replace(s, timeout=3.0) == dataclasses.replace(s, timeout=3.0)

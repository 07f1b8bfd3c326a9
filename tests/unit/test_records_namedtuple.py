"""etcdtui/records.py: the run-time stand-in for typing.NamedTuple makes the
same records (the type checker sees typing's)."""

from __future__ import annotations

import typing

import pytest

from etcdtui.records import NamedTuple
from etcdtui.services.snapshots.bolt import Meta
from etcdtui.services.snapshots.status import VerifyResult


class Light(NamedTuple):
    """a record"""

    count: int
    name: str = "n"
    extra: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.count == 0

    def doubled(self) -> int:
        return self.count * 2


class Typed(typing.NamedTuple):
    """a record"""

    count: int
    name: str = "n"
    extra: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.count == 0

    def doubled(self) -> int:
        return self.count * 2


def test_the_same_record_as_typing_makes() -> None:
    light, typed = Light(3), Typed(3)
    assert light == typed == (3, "n", ())
    assert repr(light) == "Light(count=3, name='n', extra=())"
    assert Light._fields == Typed._fields == ("count", "name", "extra")
    assert Light._field_defaults == Typed._field_defaults
    assert light._replace(name="m") == Typed(3, "m")
    assert light._asdict() == typed._asdict()
    assert (light.empty, light.doubled()) == (False, 6)
    assert Light(0).empty
    assert Light.__doc__ == "a record"
    assert Light.__module__ == __name__ and Light.__qualname__ == "Light"
    assert Light.__mro__ == (Light, tuple, object)
    with pytest.raises(TypeError):
        Light()  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        light.count = 4  # type: ignore[misc]


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="follows"):

        class Bad(NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]


def test_the_snapshot_records_are_plain_named_tuples() -> None:
    res = VerifyResult(True, "ok", "fine", "ok")
    assert res.sha256_valid is None and res.warnings == () and not res.encrypted
    assert res.as_dict()["sha256"] == {"present": False, "valid": None}
    assert isinstance(res, tuple) and VerifyResult.__mro__[1] is tuple
    assert Meta._fields[-1] == "problem" and "valid" in dir(Meta)

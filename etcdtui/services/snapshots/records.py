"""``class X(NamedTuple)`` without importing :mod:`typing` at run time.

`snapshot status` and `snapshot verify` race etcdutl and openssl, and importing typing
costs them about 15 million instructions (3 ms) of start-up, for two record classes.
Their modules import ``NamedTuple`` from :mod:`typing` for the type checker only and
from here when they run: the same class syntax (annotated fields, trailing defaults,
methods, properties, a docstring) built with :func:`collections.namedtuple`, so the
records are the very kind of tuple typing.NamedTuple makes.
"""

from __future__ import annotations

from collections import namedtuple

# what a class body holds besides its fields and members
_NOT_MEMBERS = frozenset(
    {"__module__", "__qualname__", "__annotations__", "__dict__", "__weakref__", "__slots__"}
)


class _RecordType(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, object]) -> type:
        if ns.get("_base_record", False):
            return super().__new__(mcls, name, bases, ns)
        if bases != (NamedTuple,):
            raise TypeError(f"{name}: a record derives from NamedTuple alone")
        if "__classcell__" in ns:
            raise TypeError(f"{name}: a record's methods cannot use super() or __class__")
        annotations = dict(ns.get("__annotations__", {}))  # type: ignore[call-overload]
        fields = list(annotations)
        defaults = [ns[f] for f in fields if f in ns]
        if any(f not in ns for f in fields[len(fields) - len(defaults) :]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        cls: type = namedtuple(name, fields, defaults=defaults, module=str(ns["__module__"]))  # type: ignore[misc]
        for key, value in ns.items():
            if key not in _NOT_MEMBERS and key not in annotations:
                setattr(cls, key, value)
        cls.__qualname__ = str(ns.get("__qualname__", name))
        cls.__annotations__ = annotations
        return cls


class NamedTuple(metaclass=_RecordType):
    """Derive a record from this (see the module's docstring)."""

    _base_record = True


__all__ = ["NamedTuple"]

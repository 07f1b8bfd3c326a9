"""Dataclasses without the dataclasses module's start-up cost: ``@record`` and
``field`` for the plain data on the way of `etcdtui status`; and ``NamedTuple``, the
class syntax of :class:`typing.NamedTuple` on :func:`collections.namedtuple` without
importing :mod:`typing` (the snapshot reader's records, on the way of `snapshot
status` and `verify`).

A one-shot command races etcdctl (docs/benchmarks.md), and :mod:`dataclasses` costs it
twice: importing it loads :mod:`inspect` (and with it ast, dis, tokenize, ...), and
every class it processes compiles its ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` from generated source. Together
that was about a fifth of the instructions `etcdtui status` ran before it sent its
first request. ``@record`` builds the same methods from closures instead, with no
compiling and no import.

A record behaves as the dataclass would: the same ``__init__`` (positional or by
keyword, the same defaults and ``default_factory``), ``repr`` (fields with
``repr=False`` left out), ``==`` (same class, equal fields), ``hash`` (frozen: of the
fields; not frozen: unhashable), frozen fields (assigning raises
:class:`dataclasses.FrozenInstanceError`) and ``__match_args__``. Methods the class
body defines itself are kept, as dataclass keeps them. :func:`dataclasses.fields`,
:func:`dataclasses.replace`, :func:`dataclasses.asdict` and
:func:`dataclasses.is_dataclass` work on records: their ``__dataclass_fields__`` (and
``__dataclass_params__``) are built by the dataclasses module on first use.
:func:`replace` here does what :func:`dataclasses.replace` does without that import.
tests/unit/test_records.py holds every record on the status path to its dataclass
twin.

The type checker sees :func:`dataclasses.dataclass` and :func:`dataclasses.field`
themselves, so it checks records as dataclasses. Supported: ``frozen``; fields with
``default``, ``default_factory`` and ``repr``; ``__post_init__``; ``ClassVar``
annotations (left out, as dataclass leaves them). No inheritance between records.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass as record
    from dataclasses import field, replace
    from typing import NamedTuple
else:
    from _thread import get_ident
    from collections import namedtuple

    class _Missing:
        def __repr__(self) -> str:
            return "<missing>"

    _MISSING = _Missing()

    class _FieldSpec:
        __slots__ = ("default", "default_factory", "repr")

        def __init__(self, default, default_factory, repr):
            self.default = default
            self.default_factory = default_factory
            self.repr = repr

    def field(*, default=_MISSING, default_factory=_MISSING, repr=True):
        """As :func:`dataclasses.field`, for ``default``, ``default_factory`` and
        ``repr``."""
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        return _FieldSpec(default, default_factory, repr)

    def record(cls=None, /, *, frozen=False):
        """As :func:`dataclasses.dataclass`, for ``frozen`` (see the module's text)."""

        def wrap(c):
            return _process(c, frozen)

        return wrap if cls is None else wrap(cls)

    def replace(obj, /, **changes):
        """As :func:`dataclasses.replace`: a copy of ``obj`` with ``changes``."""
        names = getattr(type(obj), "__record_fields__", None)
        if names is None:
            import dataclasses

            return dataclasses.replace(obj, **changes)
        for name in names:
            if name not in changes:
                changes[name] = getattr(obj, name)
        return obj.__class__(**changes)

    def _is_classvar(annotation):
        if isinstance(annotation, str):  # from __future__ import annotations
            return annotation.split("[", 1)[0].strip() in ("ClassVar", "typing.ClassVar")
        import typing

        return getattr(annotation, "__origin__", annotation) is typing.ClassVar

    def _process(cls, frozen):
        if cls.__bases__ != (object,):
            raise TypeError(f"@record supports no base class: {cls.__qualname__}")
        # as dataclass reads them (inspect.get_annotations would load inspect)
        annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        names = []
        defaults = {}
        factories = {}
        shown = []
        for name, annotation in annotations.items():
            if _is_classvar(annotation):
                continue
            if "InitVar" in str(annotation) or "KW_ONLY" in str(annotation):
                raise TypeError(f"@record does not support InitVar or KW_ONLY: {name}")
            value = cls.__dict__.get(name, _MISSING)
            show = True
            if isinstance(value, _FieldSpec):
                show = value.repr
                if value.default_factory is not _MISSING:
                    factories[name] = value.default_factory
                    delattr(cls, name)  # as dataclass: no class attribute
                elif value.default is not _MISSING:
                    defaults[name] = value.default
                    setattr(cls, name, value.default)
                else:
                    delattr(cls, name)
            elif value is not _MISSING:
                if type(value).__hash__ is None:  # dataclass's guard on mutable defaults
                    raise ValueError(
                        f"mutable default {type(value)} for field {name} is not allowed: "
                        "use default_factory"
                    )
                defaults[name] = value
            if (
                name not in defaults
                and name not in factories
                and any(n in defaults or n in factories for n in names)
            ):
                raise TypeError(f"non-default argument {name!r} follows default argument")
            names.append(name)
            if show:
                shown.append(name)
        names_t = tuple(names)
        own = cls.__dict__
        cls.__record_fields__ = names_t
        cls.__record_frozen__ = frozen
        if "__init__" not in own:
            cls.__init__ = _init(cls, names_t, defaults, factories, frozen)
        if "__repr__" not in own:
            cls.__repr__ = _repr(cls, tuple(shown))
        if "__eq__" not in own:
            cls.__eq__ = _eq(cls, names_t)
        class_hash = own.get("__hash__", _MISSING)
        explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
        if not explicit_hash:
            cls.__hash__ = _hash(cls, names_t) if frozen else None
        if frozen:
            for name in ("__setattr__", "__delattr__"):
                if name in own:
                    raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            cls.__setattr__, cls.__delattr__ = _frozen(cls, frozenset(names_t))
        if "__match_args__" not in own:
            cls.__match_args__ = names_t
        spec = {
            n: (annotations[n], defaults.get(n, _MISSING), factories.get(n, _MISSING), n in shown)
            for n in names_t
        }
        cls.__dataclass_fields__ = _LazyDataclass("__dataclass_fields__", spec, frozen)
        cls.__dataclass_params__ = _LazyDataclass("__dataclass_params__", spec, frozen)
        return cls

    def _init(cls, names, defaults, factories, frozen):
        count = len(names)
        known = frozenset(names)
        post_init = getattr(cls, "__post_init__", None) is not None
        assign = object.__setattr__ if frozen else setattr

        def __init__(self, *args, **kwargs):
            if len(args) > count:
                raise TypeError(
                    f"{cls.__qualname__}.__init__() takes {count + 1} positional arguments "
                    f"but {len(args) + 1} were given"
                )
            for name in kwargs:
                if name not in known:
                    raise TypeError(
                        f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}"
                    )
            for name, value in zip(names, args, strict=False):
                if name in kwargs:
                    raise TypeError(
                        f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}"
                    )
                assign(self, name, value)
            missing = []
            for name in names[len(args) :]:
                if name in kwargs:
                    value = kwargs[name]
                elif name in defaults:
                    value = defaults[name]
                elif name in factories:
                    value = factories[name]()
                else:
                    missing.append(name)
                    continue
                assign(self, name, value)
            if missing:
                raise TypeError(
                    f"{cls.__qualname__}.__init__() missing {len(missing)} required "
                    f"argument{'s' if len(missing) > 1 else ''}: "
                    + ", ".join(repr(m) for m in missing)
                )
            if post_init:
                self.__post_init__()

        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        return __init__

    def _repr(cls, shown):
        running = set()

        def __repr__(self):
            key = (id(self), get_ident())
            if key in running:
                return "..."
            running.add(key)
            try:
                inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
            finally:
                running.discard(key)
            return f"{self.__class__.__qualname__}({inner})"

        __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
        return __repr__

    def _eq(cls, names):
        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return tuple(getattr(self, n) for n in names) == tuple(
                    getattr(other, n) for n in names
                )
            return NotImplemented

        __eq__.__qualname__ = f"{cls.__qualname__}.__eq__"
        return __eq__

    def _hash(cls, names):
        def __hash__(self):
            return hash(tuple(getattr(self, n) for n in names))

        __hash__.__qualname__ = f"{cls.__qualname__}.__hash__"
        return __hash__

    def _frozen(cls, names):
        def refuse(name):
            from dataclasses import FrozenInstanceError

            return FrozenInstanceError(f"cannot assign to field {name!r}")

        def __setattr__(self, name, value):
            if type(self) is cls or name in names:
                raise refuse(name)
            super(cls, self).__setattr__(name, value)

        def __delattr__(self, name):
            if type(self) is cls or name in names:
                raise refuse(name)
            super(cls, self).__delattr__(name)

        __setattr__.__qualname__ = f"{cls.__qualname__}.__setattr__"
        __delattr__.__qualname__ = f"{cls.__qualname__}.__delattr__"
        return __setattr__, __delattr__

    class _LazyDataclass:
        """``__dataclass_fields__`` or ``__dataclass_params__`` of a record, made by the
        dataclasses module (from a twin of the record) the first time it is asked for,
        then kept on the class."""

        def __init__(self, attr, spec, frozen):
            self.attr, self.spec, self.frozen = attr, spec, frozen

        def __get__(self, obj, owner):
            import dataclasses

            ns = {
                "__annotations__": {n: s[0] for n, s in self.spec.items()},
                "__module__": owner.__module__,
                "__qualname__": owner.__qualname__,
            }
            for name, (_type, default, factory, show) in self.spec.items():
                kwargs = {"repr": show}
                if default is not _MISSING:
                    kwargs["default"] = default
                if factory is not _MISSING:
                    kwargs["default_factory"] = factory
                ns[name] = dataclasses.field(**kwargs)
            twin = dataclasses.dataclass(frozen=self.frozen)(type(owner.__name__, (), ns))
            for attr in ("__dataclass_fields__", "__dataclass_params__"):
                type.__setattr__(owner, attr, getattr(twin, attr))
            return getattr(owner, self.attr)

    # what a class body holds besides its fields and members
    _NOT_MEMBERS = frozenset(
        {"__module__", "__qualname__", "__annotations__", "__dict__", "__weakref__", "__slots__"}
    )

    class _RecordType(type):
        def __new__(mcls, name, bases, ns):
            if ns.get("_base_record", False):
                return super().__new__(mcls, name, bases, ns)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a record derives from NamedTuple alone")
            if "__classcell__" in ns:
                raise TypeError(f"{name}: a record's methods cannot use super() or __class__")
            annotations = dict(ns.get("__annotations__", {}))
            fields = list(annotations)
            defaults = [ns[f] for f in fields if f in ns]
            if any(f not in ns for f in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            cls = namedtuple(name, fields, defaults=defaults, module=str(ns["__module__"]))
            for key, value in ns.items():
                if key not in _NOT_MEMBERS and key not in annotations:
                    setattr(cls, key, value)
            cls.__qualname__ = str(ns.get("__qualname__", name))
            cls.__annotations__ = annotations
            return cls

    class NamedTuple(metaclass=_RecordType):
        """Derive a record from this (see the module's docstring)."""

        _base_record = True


__all__ = ["NamedTuple", "field", "record", "replace"]

"""Guided procedures (replace, restore, scale): plan builders plus the actions and
checks they register with :mod:`etcdtui.services.executor`. Importing this package
registers every procedure's callables."""

from __future__ import annotations

from etcdtui.services.procedures import common, membership, replace, restore, scale, upgrade

__all__ = ["common", "membership", "replace", "restore", "scale", "upgrade"]

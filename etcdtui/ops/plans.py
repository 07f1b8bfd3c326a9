"""A plan and its steps: what a procedure (wizard) will do, shown before it runs. Plain
data, cheap to import; running one is :mod:`etcdtui.ops.runs`.
Re-exported: the faces show and render the service's plan types as they are."""

from __future__ import annotations

from etcdtui.services.plans import Plan as Plan
from etcdtui.services.plans import Step as Step
from etcdtui.services.plans import render as render

__all__ = ["Plan", "Step", "render"]

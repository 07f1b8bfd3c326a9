"""`--rule` for defragmentation: etcd-defrag style expressions, evaluated safely.

Numbers, ``+ - * /``, comparisons, ``&& || !`` and five variables (dbSize,
dbSizeInUse, dbSizeFree, dbQuota, dbQuotaUsage). Parsed with :mod:`ast` and walked
over a whitelist: no names, calls or attributes beyond those; anything else is a
UsageError before any cluster call.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from etcdtui import errors
from etcdtui.i18n import _

RULE_NAMES = ("dbSize", "dbSizeInUse", "dbSizeFree", "dbQuota", "dbQuotaUsage")

_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_CMP = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def _rule_error(rule: str, why: str) -> errors.UsageError:
    return errors.UsageError(
        _("--rule {rule!r}: {why}").format(rule=rule, why=why),
        fix=_(
            "Use numbers, + - * /, comparisons, && || ! and the names dbSize, dbSizeInUse, "
            "dbSizeFree, dbQuota, dbQuotaUsage; e.g. 'dbQuotaUsage > 0.8 || dbSizeFree > 1e9'."
        ),
    )


def compile_rule(rule: str) -> Callable[[Mapping[str, float]], bool]:
    """A safe evaluator for etcd-defrag style rules (no names, calls or attributes other
    than the five variables). Raises UsageError on anything else."""
    if len(rule) > 500:
        raise _rule_error(rule[:40] + "...", _("longer than 500 characters"))
    text = rule.replace("&&", " and ").replace("||", " or ")
    text = text.replace("!=", "\0").replace("!", " not ").replace("\0", "!=")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise _rule_error(rule, _("not an expression")) from None

    def ev(node: ast.AST, env: Mapping[str, float]) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body, env)
        if isinstance(node, ast.BoolOp):
            values = [ev(v, env) for v in node.values]
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not ev(node.operand, env)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand, env)
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            right = ev(node.right, env)
            if isinstance(node.op, ast.Div) and right == 0:
                return float("inf")
            return _BIN[type(node.op)](ev(node.left, env), right)
        if isinstance(node, ast.Compare):
            left = ev(node.left, env)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                if type(op) not in _CMP:
                    raise _rule_error(rule, _("unsupported comparison"))
                right = ev(comp, env)
                if not _CMP[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            if isinstance(node.value, bool):
                raise _rule_error(rule, _("unsupported value"))
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in RULE_NAMES:
                raise _rule_error(rule, _("unknown name {name!r}").format(name=node.id))
            return env[node.id]
        raise _rule_error(rule, _("unsupported syntax"))

    ev(tree, dict.fromkeys(RULE_NAMES, 1.0))  # refuse bad rules before any cluster call
    return lambda env: bool(ev(tree, env))

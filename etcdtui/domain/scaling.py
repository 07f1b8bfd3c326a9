"""Scaling advice: ``advice_for_target`` judges a resize such as "3 to 5" voters.

Pure, no I/O; answers with a ``ScaleAdvice`` built on the arithmetic in ``quorum.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from etcdtui.domain.quorum import Verdict, failures_tolerated, quorum_size, voters_phrase
from etcdtui.errors import UsageError
from etcdtui.i18n import _, ngettext

RECOMMENDED_MAX_VOTERS = 7


@dataclass(frozen=True)
class ScaleAdvice:
    current: int
    target: int
    allowed: bool
    path: tuple[int, ...]
    tolerance_before: int
    tolerance_after: int
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    fix: str | None = None
    console_fix: str | None = None  # the console's words when ``fix`` names a CLI flag

    def as_dict(self) -> dict[str, object]:
        return {
            "current": self.current,
            "target": self.target,
            "allowed": self.allowed,
            "path": list(self.path),
            "tolerance_before": self.tolerance_before,
            "tolerance_after": self.tolerance_after,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "fix": self.fix,
        }


def advice_for_target(
    current_voters: int, target: int, *, healthy: int | None = None, force: bool = False
) -> ScaleAdvice:
    """Judge a resize such as "3 to 5". Even targets are refused unless ``force``.

    ``path`` lists the voter counts the cluster passes through, one member at a time.
    ``healthy`` (voters answering now), when given, refuses growth while a voter is down:
    etcd refuses every add then.
    """
    if current_voters < 0:
        raise UsageError(_("The current voter count cannot be negative."))
    v = Verdict()
    step = 1 if target >= current_voters else -1
    path = tuple(range(current_voters, target + step, step)) if target >= 1 else (current_voters,)
    tol_after = failures_tolerated(target) if target >= 1 else 0
    if target < 1:
        v.refuse(
            _("A cluster needs at least one voting member; {target} is not a size.").format(
                target=target
            ),
            _("Choose 3 or 5 voters."),
        )
    elif target % 2 == 0:
        text = ngettext(
            "{voters} tolerate {f} failure, the same as {fewer}, and an even split can stall "
            "elections.",
            "{voters} tolerate {f} failures, the same as {fewer}, and an even split can stall "
            "elections.",
            tol_after,
        ).format(voters=voters_phrase(target), f=tol_after, fewer=voters_phrase(target - 1))
        if force:
            v.warnings.append(text)
        else:
            v.refuse(
                text + " " + _("Choose {lo} or {hi}.").format(lo=target - 1, hi=target + 1),
                _("Pick an odd size, or pass --force if the even size is deliberate."),
                _("Pick an odd size: :scale {lo} or :scale {hi}.").format(
                    lo=target - 1, hi=target + 1
                ),
            )
    if healthy is not None and current_voters:
        down = current_voters - healthy
        if healthy < quorum_size(current_voters):
            v.refuse(
                _("Quorum is lost ({h} of {voters} answer): no resize can be committed.").format(
                    h=healthy, voters=voters_phrase(current_voters)
                ),
                _("Bring the failed members back, or restore from a snapshot."),
            )
        elif down > 0 and target > current_voters:
            v.refuse(
                ngettext(
                    "{n} voter does not answer; etcd refuses every member add until it is back "
                    "or removed.",
                    "{n} voters do not answer; etcd refuses every member add until they are back "
                    "or removed.",
                    down,
                ).format(n=down),
                _("Replace or remove the failed members first."),
            )
        elif down > 0:
            v.warnings.append(_("Remove the members that do not answer first."))
    if target == current_voters and target >= 1:
        v.warnings.append(
            _("Already {voters}: nothing to do.").format(voters=voters_phrase(target))
        )
    elif target > current_voters >= 0 and target >= 1:
        v.warnings.append(
            _("Add one member at a time: as a learner, start it, promote it, check health.")
        )
    elif 1 <= target < current_voters:
        v.warnings.append(
            _("Remove one member at a time, and the leader last (move leadership first).")
        )
    evens = [n for n in path[1:-1] if n % 2 == 0]
    if evens:
        v.warnings.append(
            _(
                "On the way the cluster passes through {sizes} voters; "
                "finish the sequence promptly."
            ).format(sizes=", ".join(str(n) for n in evens))
        )
    if target > RECOMMENDED_MAX_VOTERS:
        v.warnings.append(
            _(
                "More than {max} voters slows every write (each needs {q} acknowledgements); "
                "etcd does not recommend it."
            ).format(max=RECOMMENDED_MAX_VOTERS, q=quorum_size(target))
        )
    if target == 1 and current_voters > 1:
        v.warnings.append(_("A single voter tolerates no failure at all."))
    return ScaleAdvice(
        current=current_voters,
        target=target,
        allowed=not v.reasons,
        path=path,
        tolerance_before=failures_tolerated(current_voters),
        tolerance_after=tol_after,
        reasons=tuple(v.reasons),
        warnings=tuple(v.warnings),
        fix=v.fix,
        console_fix=v.console_fix,
    )

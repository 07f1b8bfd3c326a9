"""Objective checks shared by the drills: pure functions over a :class:`DrillView`."""

from __future__ import annotations

from collections.abc import Callable

from etcdtui.cluster_data import hex_id
from etcdtui.i18n import N_, _
from etcdtui.ops.drills.drill import DrillState, DrillView, Objective, Outcome


def _unreadable(view: DrillView) -> Outcome | None:
    if view.members is None:
        return Outcome(False, _("the cluster does not answer: {why}").format(why=view.error or "?"))
    return None


def voters_healthy(count: int | None = None, *, odd: bool = True) -> Objective:
    """``count`` voters (or any odd number >= 3), every one answering a linearizable read."""

    def check(view: DrillView, state: DrillState) -> Outcome:
        bad = _unreadable(view)
        if bad:
            return bad
        voters = view.voters
        want = count if count is not None else None
        if want is not None and len(voters) != want:
            return Outcome(
                False, _("{n} voting members, the goal is {want}").format(n=len(voters), want=want)
            )
        if want is None and (len(voters) < 3 or (odd and len(voters) % 2 == 0)):
            return Outcome(False, _("{n} voting members: run 3 or 5").format(n=len(voters)))
        healthy = view.healthy_ids()
        sick = [m.name or hex_id(m.id) for m in voters if m.id not in healthy]
        if sick:
            return Outcome(False, _("not healthy: {names}").format(names=", ".join(sick)))
        return Outcome(True, _("{n} voters, all healthy").format(n=len(voters)))

    if count:
        return Objective(
            "voters-healthy", N_("The cluster has {n} healthy voting members"), check, {"n": count}
        )
    return Objective("voters-healthy", N_("An odd number (3 or more) of healthy voters"), check)


def no_learners() -> Objective:
    def check(view: DrillView, state: DrillState) -> Outcome:
        bad = _unreadable(view)
        if bad:
            return bad
        learners = [m.name or hex_id(m.id) for m in view.members.members if m.is_learner]  # type: ignore[union-attr]
        if learners:
            return Outcome(False, _("learners left: {names}").format(names=", ".join(learners)))
        return Outcome(True, _("no learner is left waiting"))

    return Objective("no-learners", N_("No learner is left behind"), check)


def member_gone(fact: str, text: str) -> Objective:
    """The member whose ID setup recorded under ``fact`` is no longer in the list."""

    def check(view: DrillView, state: DrillState) -> Outcome:
        bad = _unreadable(view)
        if bad:
            return bad
        gone = int(state.facts[fact], 16)
        if view.members and view.members.by_id(gone) is not None:
            return Outcome(False, _("member {id} is still listed").format(id=hex_id(gone)))
        return Outcome(True, _("member {id} was removed").format(id=hex_id(gone)))

    return Objective(f"{fact}-removed", text, check)


def no_unstarted_members() -> Objective:
    def check(view: DrillView, state: DrillState) -> Outcome:
        bad = _unreadable(view)
        if bad:
            return bad
        never = [hex_id(m.id) for m in view.members.members if not m.name]  # type: ignore[union-attr]
        if never:
            return Outcome(False, _("never started: {ids}").format(ids=", ".join(never)))
        return Outcome(True, _("every listed member has started"))

    return Objective("no-unstarted", N_("No member is listed that never started"), check)


def keys_intact() -> Objective:
    """Every key the drill wrote holds its value (restore drills: the snapshot's)."""

    def check(view: DrillView, state: DrillState) -> Outcome:
        if view.error and not view.values:
            return Outcome(False, _("the keys cannot be read: {why}").format(why=view.error))
        missing = [k for k, h in state.manifest.items() if view.values.get(k) is None]
        changed = [k for k, h in state.manifest.items() if view.values.get(k) not in (None, h)]
        if missing or changed:
            return Outcome(
                False,
                _("{missing} keys missing, {changed} changed (first: {first})").format(
                    missing=len(missing), changed=len(changed), first=(missing + changed)[0]
                ),
            )
        if view.extra_keys:
            return Outcome(
                False,
                _("{n} keys written after the snapshot are still there (first: {first})").format(
                    n=len(view.extra_keys), first=view.extra_keys[0]
                ),
            )
        return Outcome(True, _("all {n} keys hold their values").format(n=len(state.manifest)))

    return Objective("keys-intact", N_("Every key that should survive is there, unchanged"), check)


def no_alarms() -> Objective:
    def check(view: DrillView, state: DrillState) -> Outcome:
        bad = _unreadable(view)
        if bad:
            return bad
        if view.alarms:
            kinds = ", ".join(sorted({a.kind for a in view.alarms}))
            return Outcome(False, _("active alarms: {kinds}").format(kinds=kinds))
        return Outcome(True, _("no alarm is active"))

    return Objective("no-alarms", N_("No alarm is active (NOSPACE disarmed)"), check)


def versions_are(fact: str) -> Objective:
    def check(view: DrillView, state: DrillState) -> Outcome:
        bad = _unreadable(view)
        if bad:
            return bad
        want = state.facts[fact]
        wrong = []
        for m in view.voters:
            st = view.status_of(m.id)
            if st is None or st.version != want:
                wrong.append(f"{m.name or hex_id(m.id)}={st.version if st else '?'}")
        if wrong:
            return Outcome(
                False, _("not on {want} yet: {list}").format(want=want, list=", ".join(wrong))
            )
        return Outcome(True, _("every member runs {want}").format(want=want))

    return Objective("versions", N_("Every member runs the target version"), check)


def custom(code: str, text: str, fn: Callable[[DrillView, DrillState], Outcome]) -> Objective:
    return Objective(code, text, fn)

"""The one table of the callables behind the names in a plan.

A :class:`~etcdtui.services.plans.Step` names its action (``step.action``), its check
(``step.check.name``) and its rollback (``step.rollback.name``); the executor looks
each name up here. Adopters are keyed by the action they make safe to run again: called
before the step's precondition, an adopter looks at the real state and returns a result
(the step's effect is already in place: nothing is done again) or None (run the step),
after clearing its own partial work. Every callable is listed by hand: nothing registers
itself on import, and ``tests/unit/test_procedure_registry.py`` checks that every name
the plan builders emit is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from etcdtui.services.procedures import (
    generic,
    host_actions,
    membership,
    rebuild,
    replace,
    restore,
    upgrade,
)
from etcdtui.services.procedures.context import ActionFn, AdoptFn, CheckFn, RollbackFn


@dataclass(frozen=True)
class Registry:
    actions: Mapping[str, ActionFn] = field(default_factory=dict)
    checks: Mapping[str, CheckFn] = field(default_factory=dict)
    rollbacks: Mapping[str, RollbackFn] = field(default_factory=dict)
    adopters: Mapping[str, AdoptFn] = field(default_factory=dict)

    def extended(self, other: Registry) -> Registry:
        """This table plus ``other``'s entries (tests add their own actions this way);
        a name already here is an error, so nothing is silently replaced."""
        for mine, theirs in (
            (self.actions, other.actions),
            (self.checks, other.checks),
            (self.rollbacks, other.rollbacks),
            (self.adopters, other.adopters),
        ):
            clash = set(mine) & set(theirs)
            if clash:
                raise ValueError(f"already registered: {sorted(clash)}")
        return Registry(
            actions={**self.actions, **other.actions},
            checks={**self.checks, **other.checks},
            rollbacks={**self.rollbacks, **other.rollbacks},
            adopters={**self.adopters, **other.adopters},
        )


# action name -> what runs it (when the step runs here, not on the operator's host)
ACTIONS: dict[str, ActionFn] = {
    "operator": generic.operator_only,
    "wait": generic.wait,
    "member.add-learner": membership.add_learner,
    "member.catch-up": membership.catch_up,
    "member.promote": membership.promote,
    "cluster.verify-voters": membership.verify_voters,
    "host.start-new-member": membership.start_new_member,
    "replace.detect": replace.detect_failure,
    "replace.quorum": replace.refuse_unless_quorum_survives,
    "replace.move-leader": replace.move_leader_away,
    "member.remove": replace.remove_member,
    "restore.verify-snapshot": restore.check_snapshot,
    "restore.sha256": restore.sha256,
    "host.stop-etcd": host_actions.stop_etcd,
    "host.move-aside": host_actions.move_aside,
    "host.run": host_actions.run_on_host,
    "restore.run-decrypted": restore.run_decrypted,
    "host.start-etcd": host_actions.start_etcd,
    "restore.verify": restore.verify_restored,
    "plan.acknowledge": restore.acknowledge,
    "upgrade.backup": upgrade.backup,
    "upgrade.swap-binary": upgrade.swap_binary,
    "upgrade.check-member": upgrade.check_member,
    "upgrade.consistency": upgrade.check_consistency,
    "rebuild.quorum-lost": rebuild.confirm_quorum_lost,
    "host.copy-dir": rebuild.copy_dir,
    "host.force-new-cluster": rebuild.force_new_cluster,
    "rebuild.verify-survivor": rebuild.verify_survivor,
}

# check name -> the check (also used for preconditions)
CHECKS: dict[str, CheckFn] = {
    "what-if-add-learner": membership.whatif_add_learner,
    "member-is-learner": membership.is_learner,
    "member-is-voter": membership.is_voter,
    "member-absent": membership.member_absent,
    "member-started": membership.member_started,
    "voters-healthy": membership.voters_healthy,
    "what-if-remove": replace.whatif_remove,
    "path-absent": host_actions.path_absent,
    "restored-dir": restore.restored_dir,
    "rebuild-survivor-alone": rebuild.survivor_alone,
}

# rollback name -> what undoes the step
ROLLBACKS: dict[str, RollbackFn] = {
    "remove-new-member": membership.remove_new_member,
}

# action name -> its adopter (see the module docstring)
ADOPTERS: dict[str, AdoptFn] = {
    "member.add-learner": membership.adopt_learner,
    "host.start-new-member": membership.adopt_started,
    "member.promote": membership.adopt_promoted,
    "member.remove": replace.adopt_removed,
    "host.move-aside": host_actions.adopt_moved,
    "restore.run-decrypted": restore.adopt_partial_restore,
    "host.run": restore.adopt_partial_restore,
    "host.force-new-cluster": rebuild.adopt_forced,
}

REGISTRY = Registry(actions=ACTIONS, checks=CHECKS, rollbacks=ROLLBACKS, adopters=ADOPTERS)

"""The checks that the CLI (`etcdtui evidence`, `etcdtui check perf`) and the console
(`:evidence`, `:perf`) both run, with the same rules.

* Evidence after quorum loss reads stopped members' data dirs offline, names the most
  advanced one and, when asked, copies its db for a restore. A copy is refused when
  the dirs' histories diverged: no single dir is then safe to rebuild from, and the
  operator must decide (etcd's disaster-recovery guide restores from one snapshot).
* check perf writes a bounded load. It is refused on a read-only session, and on a
  protected context (not loopback, or found through a kubeadm manifest) unless the
  operator accepted the load: ``--force`` on the CLI, the context's name typed in the
  console.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import _
from etcdtui.paths import ensure_private_dir, state_dir
from etcdtui.services import evidence as ev


@dataclass
class EvidenceOutcome:
    evidence: ev.Evidence
    copied: Path | None = None
    copy_refused: str | None = None  # why no copy was made although one was asked for

    @property
    def diverged(self) -> bool:
        return any(d.diverged_from for d in self.evidence.dirs)

    @property
    def exit_code(self) -> int:
        """0 only when a most advanced dir exists, every dir was read and none diverged."""
        e = self.evidence
        if e.best is None or self.diverged or not all(d.ok for d in e.dirs):
            return 1
        return 0 if self.copy_refused is None else 1


def copy_refusal(found: ev.Evidence) -> str | None:
    """Why the most advanced dir must not be copied for a restore, or None."""
    if found.best is None:
        return _("no data dir could be read, so there is nothing to rebuild from")
    if any(d.diverged_from for d in found.dirs):
        return _(
            "the data dirs' histories diverged, so no single dir is known to be right; "
            "compare them (their revisions and hashes) before choosing one by hand"
        )
    return None


def evidence_copy_path(best: ev.DirEvidence, now: dt.datetime | None = None) -> Path:
    """Where the console copies the chosen db: the state dir, never next to the data."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(best.path).name).strip("-.") or "member"
    folder = state_dir() / "evidence"
    ensure_private_dir(folder)
    return folder / f"{stamp}-{name}.db"


def gather_evidence(paths: Sequence[str], copy_to: str | Path | None = None) -> EvidenceOutcome:
    """Read the dirs (offline, read-only) and, when ``copy_to`` is given and the choice
    is safe, copy the most advanced db there (never over an existing file)."""
    found = ev.gather(paths)
    out = EvidenceOutcome(found)
    if copy_to is not None:
        out.copy_refused = copy_refusal(found)
        if out.copy_refused is None and found.best is not None:
            out.copied = ev.copy_db(found.best, copy_to)
    return out


def copy_for_restore(outcome: EvidenceOutcome) -> Path:
    """The console's `c`: copy the most advanced db into the state dir for the restore
    wizard. Raises with the reason when the choice is not safe."""
    reason = copy_refusal(outcome.evidence)
    if reason is not None or outcome.evidence.best is None:
        raise errors.EtcdtuiError(
            reason or _("nothing to copy"),
            title=_("No safe source to restore from"),
            fix=_("Read the evidence table; restore from a snapshot you trust instead."),
        )
    best = outcome.evidence.best
    outcome.copied = ev.copy_db(best, evidence_copy_path(best))
    return outcome.copied


def perf_refusal(settings: ConnectionSettings | None, *, accepted: bool) -> str | None:
    """Why check perf must not run now, or None. ``accepted``: the operator accepted the
    load on a protected context (CLI --force, console: the context's name typed)."""
    from etcdtui.services.perf import refusal

    if settings is None:
        return _("there is no cluster connection")
    exc = refusal(settings, accepted=accepted)
    return None if exc is None else exc.cause


def perf_confirm_word(settings: ConnectionSettings | None) -> str:
    """What the console asks the operator to type before the load starts: the context's
    name on a protected context (the console's --force), else the word ``perf``."""
    from etcdtui.services.perf import is_protected

    if settings is not None and is_protected(settings):
        return settings.context or "perf"
    return "perf"

"""argparse's own words (``usage:``, ``options``, its error messages) in our catalogue.

argparse translates through the ``gettext`` module's global domain, which etcdtui does not
ship. :func:`install` points argparse's ``_``/``ngettext`` at etcdtui's, and the strings
below (argparse's own msgids, Python 3.11+) are listed so that extraction puts them in the
catalogue. Their ``%s`` placeholders are argparse's, not ours; keep them as they are.
"""

from __future__ import annotations

import argparse

from etcdtui.i18n import N_, _, ngettext

MESSAGES = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
    ngettext("expected %s argument", "expected %s arguments", 2),
)


def install() -> None:
    """Make argparse translate with etcdtui's catalogue (it looks ``_`` up at call time)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]

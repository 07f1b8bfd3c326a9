"""Guided procedures (replace, restore, scale, upgrade): plan builders, and the actions
and checks behind the names their steps use. The executor finds those callables in the
one explicit table, :mod:`etcdtui.services.procedures.registry`; importing a procedure
module registers nothing."""

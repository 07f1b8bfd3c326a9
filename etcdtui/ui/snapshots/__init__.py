"""The snapshot browser pane: catalog, detail, contents tree, diff and save.

Everything except save works offline, on files only (a bastion with a snapshot and no
cluster). The heavy lifting lives in ``etcdtui.services.snapshots``; this package only
runs it in workers and renders what they post back.
"""

"""The Textual console. Imported lazily by ``etcdtui.cli.console``."""

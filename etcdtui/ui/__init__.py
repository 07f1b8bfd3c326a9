"""The Textual console. Opened lazily by ``etcdtui.ui.launch`` (called by ``etcdtui.main``)."""

"""etcdtui: a terminal console for operating the etcd clusters behind Kubernetes."""

__version__ = "0.1.0"

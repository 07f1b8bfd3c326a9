"""`etcdtui pki`: a whole PKI directory for etcd (init, renew), and the flags that use it.
Re-exported: `etcdtui pki` calls these functions as they are (no orchestration)."""

from __future__ import annotations

from etcdtui.services.tls.pki_dir import DEFAULT_CLIENTS as DEFAULT_CLIENTS
from etcdtui.services.tls.pki_dir import Layout as Layout
from etcdtui.services.tls.pki_dir import apiserver_flags as apiserver_flags
from etcdtui.services.tls.pki_dir import check_name as check_name
from etcdtui.services.tls.pki_dir import etcd_flags as etcd_flags
from etcdtui.services.tls.pki_dir import init as init
from etcdtui.services.tls.pki_dir import parse_duration_days as parse_duration_days
from etcdtui.services.tls.pki_dir import parse_member as parse_member
from etcdtui.services.tls.pki_dir import renew as renew

__all__ = [
    "DEFAULT_CLIENTS",
    "Layout",
    "apiserver_flags",
    "check_name",
    "etcd_flags",
    "init",
    "parse_duration_days",
    "parse_member",
    "renew",
]

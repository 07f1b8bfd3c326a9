"""Where the console finds its cluster: config file, flags, environment, kubeadm.

Config file (YAML, ``<user config dir>/etcdtui/config.yaml``; ``--config PATH``,
``ETCDTUI_CONFIG=PATH`` or ``ETCDTUI_CONFIG_DIR=DIR`` point elsewhere)::

    current-context: prod
    contexts:
      - name: prod
        endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
        cacert: /etc/kubernetes/pki/etcd/ca.crt
        cert: /etc/kubernetes/pki/apiserver-etcd-client.crt
        key: /etc/kubernetes/pki/apiserver-etcd-client.key
        server-name: null    # optional TLS name to verify
        user: null           # optional etcd auth user; the password is never stored
        read-only: false
        insecure: false      # allow http:// endpoints
        timeout: null        # optional per-call deadline in seconds
    ui:
      theme: etcdtui-dark
      refresh-interval: 2.0
      keymap: {action_id: "key"}
      language: id         # optional: messages in Bahasa Indonesia; en for English

Paths may use ``~``; relative paths are taken from the config file's directory.

Resolution is per field: flags > ETCDCTL_* environment > config context (``--context``
or ``current-context``) > kubeadm discovery. ``--context`` chooses the context explicitly,
so the ETCDCTL_* variables are then ignored (flags still override single fields). kubeadm
discovery is consulted only when nothing above yields endpoints.
"""

from __future__ import annotations

from etcdtui.config.contexts import (
    APP_NAME,
    DEFAULT_KUBEADM_MANIFEST,
    DEFAULT_REFRESH_INTERVAL,
    DEFAULT_THEME,
    DEFAULT_TIMEOUT,
    Config,
    Context,
    KubeadmDiscovery,
    NothingConfigured,
    PathArg,
    TLSFileError,
    UnknownContext,
    normalize_endpoint,
    parse_endpoints,
)
from etcdtui.config.files import (
    config_path,
    load_config,
    remove_context,
    save_context,
    use_context,
)
from etcdtui.config.kubeadm import discover_kubeadm
from etcdtui.config.resolve import check_tls_files, password_from_env, resolve_settings
from etcdtui.tlsfiles import load_tls_file, precheck_tls_files

__all__ = [
    "APP_NAME",
    "DEFAULT_KUBEADM_MANIFEST",
    "DEFAULT_REFRESH_INTERVAL",
    "DEFAULT_THEME",
    "DEFAULT_TIMEOUT",
    "Config",
    "Context",
    "KubeadmDiscovery",
    "NothingConfigured",
    "PathArg",
    "TLSFileError",
    "UnknownContext",
    "check_tls_files",
    "config_path",
    "discover_kubeadm",
    "load_config",
    "load_tls_file",
    "normalize_endpoint",
    "parse_endpoints",
    "password_from_env",
    "precheck_tls_files",
    "remove_context",
    "resolve_settings",
    "save_context",
    "use_context",
]

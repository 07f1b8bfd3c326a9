"""Errors are values with a title, a cause and a fix.

Every failure an operator can meet is one of these classes. The CLI prints
``title``, ``cause``, ``fix`` and a docs anchor (``docs/errors.md#<code>``) and exits
non-zero; the console shows the title, the cause and ``console_fix`` in a toast or a
modal.

``code`` is a stable slug (lower-case words joined by ``-``) used in JSON output and as
the anchor in docs/errors.md, which scripts/gen_docs writes from these classes. A
published code never changes; every class sets its own.

A fix is in the words of the face that shows it: ``fix`` (``default_fix``) may name the
CLI's flags; ``console_fix`` (``default_console_fix``) names keys and ``:`` commands and
never a CLI flag. Where a class or a raise site gives no console wording, the console
shows the CLI fix only when it names no flag, else a generic pointer to the docs.
"""

from __future__ import annotations

import os

from etcdtui.i18n import N_, _

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

DOCS_PAGE = "docs/errors.md"


def names_flag(text: str) -> bool:
    """Whether ``text`` names a command-line flag (``--word``)."""
    start = 0
    while (i := text.find("--", start)) >= 0:
        before = text[i - 1] if i else " "
        after = text[i + 2 : i + 3]
        if not (before.isalnum() or before in "-_") and after.isalpha() and after.islower():
            return True
        start = i + 2
    return False


class EtcdtuiError(Exception):
    """Base class: something the operator can understand and act on. Raised as is, it is
    an error without a more specific code: its title and cause say what failed."""

    code = "error"
    exit_code = 1
    default_title = N_("Error")
    default_fix = ""  # the CLI's words: may name flags
    default_console_fix = ""  # the console's words: keys and `:` commands, never a flag

    def __init__(
        self,
        cause: str,
        *,
        title: str | None = None,
        fix: str | None = None,
        console_fix: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.title = title or _(self.default_title)
        self.cause = cause
        self.fix = fix if fix is not None else _(self.default_fix) if self.default_fix else ""
        self._console_fix = console_fix
        self.endpoint = endpoint
        super().__init__(self.cause)

    @property
    def docs_anchor(self) -> str:
        return f"{DOCS_PAGE}#{self.code}"

    @property
    def console_fix(self) -> str:
        """The fix in the console's words: never a CLI flag. Given at the raise site, else
        the class's own console wording, else the CLI fix if it names no flag, else a
        pointer to the docs."""
        if self._console_fix is not None:
            return self._console_fix
        default_cli = _(self.default_fix) if self.default_fix else ""
        own = self.own_console_fix()
        if self.fix == default_cli and own:
            return _(own)
        if not self.fix or not names_flag(self.fix):
            return self.fix  # no fix, or one in words both faces share
        return generic_console_fix(self.code)

    @console_fix.setter
    def console_fix(self, text: str) -> None:
        self._console_fix = text

    @classmethod
    def own_console_fix(cls) -> str:
        """The class's console wording, if it belongs with its CLI fix: a subclass with a
        CLI fix of its own does not inherit its parent's console wording."""
        for klass in cls.__mro__:
            if klass.__dict__.get("default_console_fix"):
                return str(klass.__dict__["default_console_fix"])
            if "default_fix" in klass.__dict__:
                return ""
        return ""

    def __str__(self) -> str:
        where = f"{self.endpoint}: " if self.endpoint else ""
        return f"{where}{self.title}: {self.cause}"

    def render(self, *, console: bool = False) -> str:
        """Multi-line text for terminals: what failed, why, and what to do. The CLI's text
        ends with the docs anchor; ``console`` puts the fix in the console's words."""
        from etcdtui.terminal_text import printable

        def show(text: str) -> str:  # causes quote etcd's errors, names and file content
            return printable(text, keep="\n")

        lines = [_("error") + ": " + show(self.title)]
        if self.endpoint:
            lines.append("  " + _("endpoint") + ": " + show(self.endpoint))
        lines.append("  " + _("cause") + ": " + show(self.cause))
        fix = self.console_fix if console else self.fix
        if fix:
            lines.append("  " + _("fix") + ": " + show(fix))
        if not console:
            lines.append("  " + _("see") + ": " + self.docs_anchor)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "title": self.title,
            "cause": self.cause,
            "fix": self.fix,
            "endpoint": self.endpoint,
        }


def generic_console_fix(code: str) -> str:
    """The console's fix when an error has none in its words."""
    return _("See {page} under {code} for what to do; ? lists the console's keys.").format(
        page=DOCS_PAGE, code=code
    )


# --- usage and configuration (exit code 2) ---------------------------------------------


class UsageError(EtcdtuiError):
    """The command line or a console command asked for something that cannot work as given."""

    code = "usage"
    exit_code = 2
    default_title = N_("Invalid usage")


class ConfigError(EtcdtuiError):
    """The config file, a context, a flag or an environment variable holds a value etcdtui
    cannot use; the cause names which."""

    code = "config"
    exit_code = 2
    default_title = N_("Configuration problem")


class InvalidEndpoint(ConfigError):
    """An endpoint is not a URL etcdtui can dial."""

    code = "invalid-endpoint"
    default_title = N_("Invalid endpoint URL")
    default_fix = N_("Use a URL like https://10.0.0.1:2379 (scheme https, a host and a port).")


class InsecureRefused(ConfigError):
    """An http:// endpoint was given without asking for plaintext: etcd traffic carries
    every Kubernetes secret."""

    code = "insecure-refused"
    default_title = N_("Plain-HTTP endpoint refused")
    default_fix = N_(
        "etcd carries every Kubernetes secret: use an https:// endpoint with client "
        "certificates, or pass --insecure if you really mean a plaintext test cluster."
    )
    default_console_fix = N_(
        "etcd carries every Kubernetes secret: use a context with an https:// endpoint "
        "and client certificates (switch with :context NAME), or set insecure: true in "
        "the context if you really mean a plaintext test cluster."
    )


class TLSFileError(ConfigError):
    code = "tls-file"
    default_title = N_("Unusable TLS file")


def file_error(
    path: str | os.PathLike[str],
    what: str,
    fix: str,
    cls: type[ConfigError] = ConfigError,
    *,
    line: int | None = None,
    **fmt: Any,
) -> ConfigError:
    """A ConfigError whose cause starts with the file it is about (and the line, if known)."""
    where = str(path) if line is None else _("{path}, line {line}").format(path=path, line=line)
    return cls(f"{where}: {what.format(**fmt)}", fix=fix)


# --- connection and TLS -------------------------------------------------------------------


class ConnectionFailure(EtcdtuiError):
    """No usable connection to etcd; the more specific codes name why."""

    code = "connection"
    default_title = N_("Connection failed")


class Unreachable(ConnectionFailure):
    """Nothing accepted the TCP connection (refused, no route, or no such host)."""

    code = "unreachable"
    default_title = N_("Endpoint unreachable")
    default_fix = N_(
        "Check that etcd runs on that host and port, that --listen-client-urls includes it, "
        "and that no firewall blocks it."
    )
    default_console_fix = N_(
        "Check that etcd runs on that host and port, that its listen-client-urls include "
        "it, and that no firewall blocks it; r retries now."
    )


class DeadlineExceeded(ConnectionFailure):
    """The member accepted the call but did not answer before the deadline."""

    code = "deadline"
    default_title = N_("No answer before the deadline")
    default_fix = N_(
        "The member is hung, overloaded or partitioned. Check its process and disk "
        "(wal_fsync latency), or raise --timeout if the link is slow."
    )
    default_console_fix = N_(
        "The member is hung, overloaded or partitioned. Check its process and disk "
        "(wal_fsync latency), or raise timeout in the context if the link is slow."
    )


class TLSError(ConnectionFailure):
    """The TLS handshake with etcd failed; the more specific codes name why."""

    code = "tls"
    default_title = N_("TLS handshake failed")


class TLSUnknownCA(TLSError):
    """The server's certificate chain does not lead to the CA etcdtui was given."""

    code = "tls-unknown-ca"
    default_title = N_("Server certificate signed by an unknown CA")
    default_fix = N_(
        "Point --cacert at the CA that signed the etcd server certificates "
        "(kubeadm: /etc/kubernetes/pki/etcd/ca.crt)."
    )
    default_console_fix = N_(
        "Set cacert in the context to the CA that signed the etcd server certificates "
        "(kubeadm: /etc/kubernetes/pki/etcd/ca.crt), then switch to it with :context "
        "NAME."
    )


class TLSCertExpired(TLSError):
    """The server's certificate is outside its validity period on this host's clock."""

    code = "tls-expired"
    default_title = N_("Certificate expired or not yet valid")
    default_fix = N_(
        "Renew the certificate (kubeadm certs renew etcd-server, or etcdtui pki renew) and "
        "check the clocks of both hosts."
    )


class TLSHostnameMismatch(TLSError):
    """The host dialled is not among the names and IPs in the server certificate."""

    code = "tls-san-mismatch"
    default_title = N_("Server certificate does not match the host dialled")
    default_fix = N_(
        "Dial a name or IP listed in the certificate's SANs, pass --server-name, or re-issue "
        "the server certificate with the right SANs."
    )
    default_console_fix = N_(
        "Dial a name or IP listed in the certificate's SANs (5 shows the certificates), "
        "set server-name in the context, or re-issue the server certificate with the "
        "right SANs."
    )


class TLSClientCertRejected(TLSError):
    """etcd refused the client certificate etcdtui presented."""

    code = "tls-client-rejected"
    default_title = N_("Server rejected the client certificate")
    default_fix = N_(
        "Use a client certificate signed by the CA in etcd's --trusted-ca-file, still "
        "valid, with the clientAuth extended key usage."
    )
    default_console_fix = N_(
        "Use a client certificate signed by the CA in etcd's trusted-ca-file, still "
        "valid, with the clientAuth extended key usage: set cert and key in the context, "
        "then switch to it with :context NAME."
    )


class TLSClientCertMissing(TLSError):
    """etcd asked for a client certificate and etcdtui had none to give."""

    code = "tls-client-missing"
    default_title = N_("Server requires a client certificate")
    default_fix = N_(
        "etcd runs with --client-cert-auth: pass --cert and --key (kubeadm: "
        "/etc/kubernetes/pki/apiserver-etcd-client.crt and .key)."
    )
    default_console_fix = N_(
        "etcd requires client certificates: set cert and key in the context (kubeadm: "
        "/etc/kubernetes/pki/apiserver-etcd-client.crt and .key), then switch to it with "
        ":context NAME."
    )


class PlaintextServer(TLSError):
    """etcdtui spoke TLS to a port that answers in plaintext."""

    code = "plaintext-server"
    default_title = N_("Server speaks plaintext, not TLS")
    default_fix = N_(
        "The endpoint listens without TLS. Use http:// with --insecure for a test cluster, "
        "or configure etcd with --cert-file/--key-file and https:// client URLs."
    )
    default_console_fix = N_(
        "The endpoint listens without TLS. Use http:// with insecure: true in the context "
        "for a test cluster, or configure etcd with a server certificate and https:// "
        "client URLs."
    )


class TLSOnPlaintext(TLSError):
    """etcdtui spoke plaintext to a port that expects TLS."""

    code = "tls-on-plaintext"
    default_title = N_("Server expects TLS but was dialled in plaintext")
    default_fix = N_("Use the https:// form of the endpoint with --cacert, --cert and --key.")
    default_console_fix = N_(
        "Use the https:// form of the endpoint in the context, with cacert, cert and key, "
        "then switch to it with :context NAME."
    )


class NotEtcd(ConnectionFailure):
    """Something answers on the port, but not etcd's client API."""

    code = "not-etcd"
    default_title = N_("The port does not answer as etcd")
    default_fix = N_(
        "Check the port: etcd clients use 2379 (peer traffic is 2380). Another service "
        "answers on this one."
    )


class AuthFailed(ConnectionFailure):
    """etcd's authentication refused the user and password or the certificate's name."""

    code = "auth"
    default_title = N_("Authentication failed")
    default_fix = N_(
        "Check the user and password (etcd auth) or the client certificate's common name "
        "and its roles."
    )


# --- cluster-side refusals ----------------------------------------------------------------


class ClusterError(EtcdtuiError):
    """etcd answered and refused the request; the cause quotes etcd's reason."""

    code = "cluster"
    default_title = N_("etcd refused the request")


class UnhealthyCluster(ClusterError):
    """etcd refused a membership change that would leave too few started members for quorum."""

    code = "unhealthy-cluster"
    default_title = N_("etcd: unhealthy cluster")
    default_fix = N_(
        "etcd's strict reconfiguration check refused the change: it would leave fewer "
        "active members than the quorum needs. Bring the missing members back (or remove "
        "the failed one first); after a restart wait at least 5 s before reconfiguring."
    )


class NotLeader(ClusterError):
    """The request needs the leader and reached a follower."""

    code = "not-leader"
    default_title = N_("Member is not the leader")
    default_fix = N_("Send the request to the current leader or retry: leadership just changed.")


class NoLeader(ClusterError):
    """The cluster has no leader: a majority of voting members cannot be reached."""

    code = "no-leader"
    default_title = N_("No leader: quorum lost")
    default_fix = N_(
        "A majority of voting members is unreachable. Restart the failed members; if their "
        "data is gone, restore the cluster from a snapshot."
    )


class MemberNotFound(ClusterError):
    """No member has the name or ID given."""

    code = "member-not-found"
    default_title = N_("Member not found")
    default_fix = N_(
        "List members again: the ID may have changed. After a remove, wait more than 1 s "
        "before adding a member with the same peer URL."
    )


class LearnerNotReady(ClusterError):
    """etcd refused to promote a learner that has not caught up with the leader."""

    code = "learner-not-ready"
    default_title = N_("Learner is not in sync with the leader")
    default_fix = N_("Wait for the learner to catch up, then promote again.")


class TooManyLearners(ClusterError):
    """etcd refused to add a learner while the cluster already has its maximum."""

    code = "too-many-learners"
    default_title = N_("Too many learners")
    default_fix = N_("etcd allows one learner by default: promote or remove it first.")


class PeerURLExists(ClusterError):
    """Another member already uses the peer URL given."""

    code = "peer-url-exists"
    default_title = N_("Peer URL already in use")
    default_fix = N_("Another member already uses that peer URL: pick another, or remove it first.")


class NoSpace(ClusterError):
    """A member's database reached its quota and etcd raised the NOSPACE alarm: writes are
    refused."""

    code = "nospace"
    default_title = N_("etcd: database space exceeded (NOSPACE)")
    default_fix = N_(
        "Compact to the current revision, defragment each member one at a time, then "
        "disarm the alarm. Raising --quota-backend-bytes alone does nothing until disarm."
    )
    default_console_fix = N_(
        "Run :nospace (key N): it compacts, defragments each member one at a time, then "
        "disarms the alarm. Raising etcd's quota-backend-bytes alone does nothing until "
        "disarm."
    )


class PermissionDenied(ClusterError):
    """etcd's access control refused the call for this user or certificate."""

    code = "permission-denied"
    default_title = N_("Permission denied")
    default_fix = N_("The user or certificate lacks the role for this call.")


class AccessDenied(ClusterError):
    """etcd answered, and refused these credentials: quorum is unknown, not lost."""

    code = "access-denied"
    default_title = N_("etcd refused these credentials (not a quorum problem)")
    default_fix = N_(
        "The members answered, so nothing says quorum is lost: do not restore. Check --user "
        "and ETCDTUI_PASSWORD (or ETCDCTL_USER), or the client certificate's common name; "
        "status and membership changes need a user with the root role."
    )
    default_console_fix = N_(
        "The members answered, so nothing says quorum is lost: do not restore. Check user "
        "in the context and ETCDTUI_PASSWORD (or ETCDCTL_USER), or the client "
        "certificate's common name; status and membership changes need a user with the "
        "root role."
    )


class QuorumRefusal(ClusterError):
    """Raised by etcdtui itself when a what-if says the change would lose quorum."""

    code = "quorum-refused"
    default_title = N_("Refused: the change would risk quorum")


class PreconditionFailed(ClusterError):
    """Something a step relies on no longer holds right before the change; nothing was changed."""

    code = "precondition"
    default_title = N_("Precondition no longer holds")


class ReadOnlyMode(EtcdtuiError):
    """The session is read-only, so a change was refused before anything was sent."""

    code = "read-only"
    exit_code = 2
    default_title = N_("Read-only mode")
    default_fix = N_("Drop --read-only (or read-only: true in the context) to make changes.")
    default_console_fix = N_(
        "This session refuses changes. Switch to a writable context with :context NAME, "
        "or quit with q and start the console without read-only mode."
    )


class SandboxError(EtcdtuiError):
    """The local sandbox cluster could not be started, found or changed."""

    code = "sandbox"
    default_title = N_("Sandbox problem")

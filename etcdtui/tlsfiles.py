"""TLS files (CA bundle, client certificate, client key): read them safely, check them cheaply.

Two checks, both without parsing a certificate:

* :func:`precheck_tls_files` runs before anything dials: one ``stat`` per file. A missing
  file, a FIFO or device, an empty or oversized file is an error; a client key readable
  by others is a warning.
* :func:`load_tls_file` reads the bytes handed to gRPC: regular files only, at most
  1 MiB, not empty, PEM (a DER file gets the ``openssl`` line that converts it), and a
  key that is not passphrase-protected. gRPC aborts the whole process on an empty key or
  certificate and OpenSSL prompts on the terminal for an encrypted key, so neither may
  ever reach it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.errors import TLSFileError
from etcdtui.errors import file_error as _fail
from etcdtui.i18n import _
from etcdtui.safeio import MAX_SMALL_FILE, FileTooLarge, NotRegularFile, read_limited

CA, CERT, KEY = "ca", "cert", "key"
_FLAG = {CA: "--cacert", CERT: "--cert", KEY: "--key"}


def _role(kind: str) -> str:
    return {CA: _("CA bundle"), CERT: _("client certificate"), KEY: _("client key")}[kind]


def _files(settings: ConnectionSettings) -> list[tuple[str, Path]]:
    out = []
    for kind, path in ((CA, settings.cacert), (CERT, settings.cert), (KEY, settings.key)):
        if path is not None:
            out.append((kind, Path(path)))
    return out


def _path_fix(kind: str) -> str:
    return _("Check the path, or pass the right file with {flag}.").format(flag=_FLAG[kind])


def precheck_tls_files(settings: ConnectionSettings) -> list[str]:
    """Cheap checks before dialling (a ``stat`` per file); returns warnings.

    Raises :class:`TLSFileError` for a file that cannot work at all."""
    if (settings.cert is None) != (settings.key is None):
        raise TLSFileError(
            _("a client certificate needs its key, and a key its certificate"),
            fix=_("Pass both --cert and --key."),
            console_fix=_(
                "Set both cert and key in the context, then switch to it with :context NAME."
            ),
        )
    warnings: list[str] = []
    for kind, path in _files(settings):
        role, fix = _role(kind), _path_fix(kind)
        try:
            st = path.stat()
        except FileNotFoundError:
            msg = _("the {role} does not exist")
            raise _fail(path, msg, fix, TLSFileError, role=role) from None
        except OSError as exc:
            msg = _("cannot read the {role}: {err}")
            raise _fail(path, msg, fix, TLSFileError, role=role, err=exc.strerror) from None
        _check_stat(path, st, kind)
        if kind == KEY:
            mode = stat.S_IMODE(st.st_mode)
            if mode & 0o077:
                warnings.append(
                    _(
                        "{path}: the client key has mode {mode:04o}, readable by others: "
                        "run `chmod 600 {path}`"
                    ).format(path=path, mode=mode)
                )
    return warnings


def _check_stat(path: Path, st: os.stat_result, kind: str) -> None:
    role, fix = _role(kind), _path_fix(kind)
    if not stat.S_ISREG(st.st_mode):
        raise _fail(path, _("the {role} is not a regular file"), fix, TLSFileError, role=role)
    if st.st_size == 0:
        raise _fail(path, _("the {role} is empty (0 bytes)"), fix, TLSFileError, role=role)
    if st.st_size > MAX_SMALL_FILE:
        raise _fail(path, _("the {role} is larger than 1 MiB"), fix, TLSFileError, role=role)


def load_tls_file(path: Path, kind: str) -> bytes:
    """The PEM bytes of one TLS file, checked so that gRPC can take them safely."""
    role, fix = _role(kind), _path_fix(kind)
    try:
        data = read_limited(path)
    except FileNotFoundError:
        raise _fail(path, _("the {role} does not exist"), fix, TLSFileError, role=role) from None
    except NotRegularFile:
        raise _fail(
            path, _("the {role} is not a regular file"), fix, TLSFileError, role=role
        ) from None
    except FileTooLarge:
        msg = _("the {role} is larger than 1 MiB")
        raise _fail(path, msg, fix, TLSFileError, role=role) from None
    except PermissionError:
        fix2 = _("Run as a user who can read it (kubeadm files belong to root: use sudo).")
        raise _fail(
            path, _("permission denied reading the {role}"), fix2, TLSFileError, role=role
        ) from None
    except OSError as exc:
        msg = _("cannot read the {role}: {err}")
        raise _fail(path, msg, fix, TLSFileError, role=role, err=exc.strerror) from None
    if not data.strip():
        raise _fail(path, _("the {role} is empty"), fix, TLSFileError, role=role)
    if b"-----BEGIN " not in data:
        if data[:1] == b"\x30":  # an ASN.1 SEQUENCE: DER
            conv = (
                "openssl pkey -inform der -in {path} -out {path}.pem"
                if kind == KEY
                else "openssl x509 -inform der -in {path} -out {path}.pem"
            ).format(path=path)
            fix2 = _("Convert it to PEM (`{command}`) and pass the .pem file with {flag}.").format(
                command=conv, flag=_FLAG[kind]
            )
            raise _fail(path, _("the {role} is DER, not PEM"), fix2, TLSFileError, role=role)
        raise _fail(path, _("the {role} is not PEM"), fix, TLSFileError, role=role)
    if kind == KEY:
        _check_key(path, data)
    elif b"-----BEGIN CERTIFICATE-----" not in data:
        fix2 = _("Pass a file with a BEGIN CERTIFICATE block with {flag}.").format(flag=_FLAG[kind])
        raise _fail(path, _("the {role} holds no PEM certificate"), fix2, TLSFileError, role=role)
    return data


def _check_key(path: Path, data: bytes) -> None:
    if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data:
        raise _fail(
            path,
            _("the client key is protected by a passphrase"),
            _(
                "etcdtui never lets OpenSSL prompt on the terminal. Write a decrypted copy "
                "readable only by you (`umask 077; openssl pkey -in {path} -out {path}.plain`) "
                "and pass it with --key."
            ).format(path=path),
            TLSFileError,
        )
    if b"PRIVATE KEY-----" not in data:
        raise _fail(
            path,
            _("the client key holds no PEM private key"),
            _("Pass the private key that belongs to the certificate with --key."),
            TLSFileError,
        )


__all__ = ["CA", "CERT", "KEY", "load_tls_file", "precheck_tls_files"]

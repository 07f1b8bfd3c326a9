"""Fetch a current etcd from Debian's package archive into a per-user cache.

``etcdtui sandbox fetch-etcd [VERSION]`` asks apt's ordinary client for the
``etcd-server`` and ``etcd-client`` packages of the newest (or the named) upstream
version that any of Debian's suites offers, checks their sha256 against the signed
package index, extracts them with ``dpkg-deb -x`` and keeps only ``etcd``, ``etcdctl``
and ``etcdutl`` in ``<cache>/<version>/``.

The machine's apt configuration is never touched: apt runs with a private sources
list, state, cache and preference directory under ``<cache>/apt/``. The archive
mirror is the one the system's own Debian source entry names; only the suite differs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_, _
from etcdtui.paths import user_cache_dir
from etcdtui.safeio import file_sha256, read_limited, write_private
from etcdtui.services.child_env import scrubbed_env

#: Suites searched, newest first. Debian keeps etcd 3.4 in bookworm, 3.5 in trixie and
#: the newest 3.5 (or later) in unstable.
SUITES = ("sid", "trixie", "bookworm")
PACKAGES = ("etcd-server", "etcd-client")
BINARIES = ("etcd", "etcdctl", "etcdutl")
SYSTEM_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
DEFAULT_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
_SOURCE_LIMIT = 1 << 20


class FetchError(EtcdtuiError):
    code = "etcd-fetch"
    exit_code = 1
    default_title = N_("Could not fetch etcd")
    default_fix = N_(
        "Set ETCDTUI_ETCD_BIN_DIR to a directory holding etcd, etcdctl and etcdutl, or "
        "install etcd from the official release tarballs and put it on PATH."
    )


def cache_dir() -> Path:
    """Where fetched etcd versions live: ``<cache>/<version>/{etcd,etcdctl,etcdutl}``."""
    env = os.environ.get("ETCDTUI_ETCD_CACHE")
    return Path(env) if env else Path(user_cache_dir()) / "etcd"


def upstream_version(debian_version: str) -> str:
    """``3.5.30-2`` -> ``3.5.30``; ``1:3.4.23-4+b4`` -> ``3.4.23``."""
    v = debian_version.split(":", 1)[-1]
    return re.split(r"[-+~]", v, maxsplit=1)[0]


def version_key(version: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", version)
    return tuple(int(p) for p in parts[:3]) or (0,)


def cached_versions(root: Path | None = None) -> list[tuple[str, Path]]:
    """Versions present in the cache, newest first, as (version, bin_dir)."""
    root = root or cache_dir()
    found: list[tuple[str, Path]] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    for d in entries:
        if not re.fullmatch(r"\d+\.\d+\.\d+", d.name):
            continue
        etcd = d / "etcd"
        if etcd.is_file() and os.access(etcd, os.X_OK):
            found.append((d.name, d))
    return sorted(found, key=lambda item: version_key(item[0]), reverse=True)


# --- the system's Debian mirror -------------------------------------------------------


@dataclass(frozen=True)
class Mirror:
    uri: str
    keyring: Path


def _read_small(path: Path) -> str:
    try:
        return read_limited(path, _SOURCE_LIMIT).decode(errors="replace")
    except OSError:
        return ""


def _is_archive_entry(uri: str, suites: Sequence[str]) -> bool:
    if not uri.startswith(("http://", "https://")):
        return False
    if "security" in uri or any("security" in s for s in suites):
        return False
    return uri.rstrip("/").endswith("/debian")


def parse_sources(texts: Sequence[tuple[str, str]]) -> Mirror | None:
    """The first Debian archive entry in apt source files given as (name, text)."""
    for name, text in texts:
        if name.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line or line[:1].isspace():
                        continue
                    key, value = line.split(":", 1)
                    fields[key.strip().lower()] = value.strip()
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                if "deb" not in fields.get("types", "").split():
                    continue
                suites = fields.get("suites", "").split()
                keyring = fields.get("signed-by", "")
                for uri in fields.get("uris", "").split():
                    if _is_archive_entry(uri, suites):
                        ring = Path(keyring) if keyring.startswith("/") else DEFAULT_KEYRING
                        return Mirror(uri.rstrip("/"), ring)
        elif name.endswith(".list"):
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line.startswith("deb "):
                    continue
                options = re.search(r"\[([^\]]*)\]", line)
                rest = re.sub(r"\[[^\]]*\]", " ", line).split()
                if len(rest) < 3:
                    continue
                uri, suite = rest[1], rest[2]
                if not _is_archive_entry(uri, [suite]):
                    continue
                ring = DEFAULT_KEYRING
                if options:
                    m = re.search(r"signed-by=(\S+)", options.group(1))
                    if m and m.group(1).startswith("/"):
                        ring = Path(m.group(1))
                return Mirror(uri.rstrip("/"), ring)
    return None


def system_mirror() -> Mirror:
    override = os.environ.get("ETCDTUI_DEBIAN_MIRROR")
    if override:
        return Mirror(override.rstrip("/"), DEFAULT_KEYRING)
    texts: list[tuple[str, str]] = []
    main, parts = SYSTEM_SOURCES
    texts.append((main.name, _read_small(main)))
    try:
        names = sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources"))
    except OSError:
        names = []
    texts += [(p.name, _read_small(p)) for p in names]
    mirror = parse_sources(texts)
    if mirror is None:
        raise FetchError(
            _("no Debian archive is configured in /etc/apt (sources.list or sources.list.d)"),
            fix=_(
                "Set ETCDTUI_DEBIAN_MIRROR to a Debian mirror URL, or set ETCDTUI_ETCD_BIN_DIR "
                "to a directory holding etcd, etcdctl and etcdutl, or install etcd from the "
                "official release tarballs."
            ),
        )
    return mirror


# --- a private apt ----------------------------------------------------------------------


class PrivateApt:
    """apt-get/apt-cache with every directory redirected under ``root``."""

    def __init__(self, root: Path, mirror: Mirror, suites: Sequence[str] = SUITES) -> None:
        self.root = root
        self.mirror = mirror
        self.suites = tuple(suites)
        for sub in ("lists/partial", "cache/archives/partial", "etc/preferences.d", "etc/parts"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        sources = "".join(
            f"deb [signed-by={mirror.keyring}] {mirror.uri} {suite} main\n" for suite in suites
        )
        (root / "etc" / "sources.list").write_text(sources)
        (root / "status").touch()

    def options(self) -> list[str]:
        r = self.root
        opts = {
            "Dir::Etc::SourceList": r / "etc" / "sources.list",
            "Dir::Etc::SourceParts": r / "etc" / "parts",
            "Dir::Etc::Preferences": r / "etc" / "preferences",
            "Dir::Etc::PreferencesParts": r / "etc" / "preferences.d",
            "Dir::State::Lists": r / "lists",
            "Dir::State::status": r / "status",
            "Dir::Cache": r / "cache",
            "Debug::NoLocking": "1",
            "APT::Get::List-Cleanup": "0",
        }
        if os.geteuid() == 0:
            # apt drops to the _apt user for downloads, which cannot enter a private
            # cache under root's home; the files are verified by hash either way.
            opts["APT::Sandbox::User"] = "root"
        out: list[str] = []
        for key, value in opts.items():
            out += ["-o", f"{key}={value}"]
        return out

    def _run(self, tool: str, args: Sequence[str], *, cwd: Path | None = None) -> str:
        exe = shutil.which(tool)
        if exe is None:
            raise FetchError(
                _("{tool} is not installed: fetching etcd uses apt's own client").format(tool=tool)
            )
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TMPDIR")}
        try:
            proc = subprocess.run(
                [exe, *self.options(), *args],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
                cwd=cwd,
                env=scrubbed_env({"LC_ALL": "C"}, base=keep),
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise FetchError(
                _("{tool} did not finish within 10 minutes").format(tool=tool)
            ) from None
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise FetchError(
                _("{tool} {args} failed: {tail}").format(tool=tool, args=" ".join(args), tail=tail)
            )
        return proc.stdout

    def update(self) -> None:
        self._run("apt-get", ["-q", "update"])

    def available(self, package: str = "etcd-server") -> list[tuple[str, str]]:
        """(debian version, suite) pairs apt knows, newest first."""
        out = self._run("apt-cache", ["madison", package])
        found: list[tuple[str, str]] = []
        for line in out.splitlines():
            cols = [c.strip() for c in line.split("|")]
            if len(cols) >= 3 and cols[0] == package:
                suite = next((s for s in self.suites if f" {s}/" in f" {cols[2]}"), cols[2])
                found.append((cols[1], suite))
        found.sort(key=lambda item: version_key(upstream_version(item[0])), reverse=True)
        return found

    def expected_sha256(self, package: str, debian_version: str) -> str:
        out = self._run("apt-cache", ["show", f"{package}={debian_version}"])
        for line in out.splitlines():
            if line.startswith("SHA256:"):
                return line.split(":", 1)[1].strip()
        raise FetchError(
            _("the package index has no sha256 for {pkg} {ver}").format(
                pkg=package, ver=debian_version
            )
        )

    def download(self, package: str, debian_version: str, into: Path) -> Path:
        self._run("apt-get", ["-q", "download", f"{package}={debian_version}"], cwd=into)
        debs = sorted(into.glob(f"{package}_*.deb"))
        if not debs:
            raise FetchError(
                _("apt reported success but no {pkg} package file appeared").format(pkg=package)
            )
        return debs[-1]


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass(frozen=True)
class FetchResult:
    version: str
    bin_dir: Path
    debian_version: str
    suite: str
    already_present: bool
    binaries: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "bin_dir": str(self.bin_dir),
            "debian_version": self.debian_version,
            "suite": self.suite,
            "already_present": self.already_present,
            "binaries": list(self.binaries),
        }


def choose_version(available: Sequence[tuple[str, str]], wanted: str | None) -> tuple[str, str]:
    if not available:
        raise FetchError(_("the Debian archive offers no etcd-server package"))
    if wanted in (None, "", "newest", "latest"):
        return available[0]
    want = wanted.lstrip("v")  # type: ignore[union-attr]
    for deb, suite in available:
        up = upstream_version(deb)
        if up == want or (want.count(".") == 1 and up.startswith(want + ".")):
            return deb, suite
    offered = ", ".join(f"{upstream_version(d)} ({s})" for d, s in available)
    raise FetchError(
        _("etcd {want} is not in Debian's archive (it offers: {offered})").format(
            want=want, offered=offered
        ),
        fix=_("Name one of the offered versions, or leave VERSION out for the newest."),
    )


def fetch(
    versions: Sequence[str | None] = (None,),
    *,
    root: Path | None = None,
    mirror: Mirror | None = None,
    progress: object = None,
) -> list[FetchResult]:
    """Download, verify and extract each of ``versions`` (``None``: the newest available).

    A version named exactly (``3.5.16``) that is already in the cache is not asked for
    again; "the newest" always reads the index, because Debian's unstable suite moves."""
    root = root or cache_dir()
    say: Any = progress if callable(progress) else (lambda _msg: None)
    have = dict(cached_versions(root))
    results: dict[int, FetchResult] = {}
    wanted: list[tuple[int, str | None]] = []
    for i, version in enumerate(versions):
        exact = (version or "").lstrip("v")
        if re.fullmatch(r"\d+\.\d+\.\d+", exact) and exact in have:
            results[i] = FetchResult(exact, have[exact], "", "", True, _binaries_in(have[exact]))
        else:
            wanted.append((i, version))
    if wanted:
        for tool in ("apt-get", "apt-cache", "dpkg-deb"):
            if shutil.which(tool) is None:
                raise FetchError(
                    _("{tool} is not installed: fetching etcd needs Debian's apt and dpkg").format(
                        tool=tool
                    )
                )
        with _lock(root / "apt" / "lock"):
            apt = PrivateApt(root / "apt", mirror or system_mirror())
            say(
                _("reading Debian's package index (suites: {suites}) ...").format(
                    suites=", ".join(apt.suites)
                )
            )
            apt.update()
            available = apt.available()
            for i, version in wanted:
                deb_version, suite = choose_version(available, version)
                results[i] = _install(apt, root, deb_version, suite, say)
    return [results[i] for i in range(len(versions))]


def _install(apt: PrivateApt, root: Path, deb_version: str, suite: str, say: Any) -> FetchResult:
    up = upstream_version(deb_version)
    final = root / up
    if (final / "etcd").is_file():
        return FetchResult(up, final, deb_version, suite, True, _binaries_in(final))
    say(
        _("downloading etcd {version} ({deb} from {suite}) ...").format(
            version=up, deb=deb_version, suite=suite
        )
    )
    with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as tmp_name:
        tmp = Path(tmp_name)
        extracted = tmp / "x"
        digests: dict[str, str] = {}
        for pkg in PACKAGES:
            deb = apt.download(pkg, deb_version, tmp)
            want, got = apt.expected_sha256(pkg, deb_version), file_sha256(deb)
            if want != got:
                raise FetchError(
                    _(
                        "{file} does not match the signed index (sha256 {got}, expected {want})"
                    ).format(file=deb.name, got=got, want=want),
                    fix=_("Run the command again; if it repeats, the mirror is broken."),
                )
            digests[pkg] = got
            subprocess.run(
                ["dpkg-deb", "-x", str(deb), str(extracted)],
                env=scrubbed_env(),
                check=True,
                capture_output=True,
                timeout=300,
            )
        part = root / f".{up}.part"
        if part.exists():
            shutil.rmtree(part)
        part.mkdir(parents=True)
        kept: list[str] = []
        for name in BINARIES:
            src = extracted / "usr" / "bin" / name
            if src.is_file():
                shutil.copy2(src, part / name)
                os.chmod(part / name, 0o755)  # noqa: S103 (programs run by the user)
                kept.append(name)
        if "etcd" not in kept or "etcdctl" not in kept:
            raise FetchError(
                _("the packages of etcd {version} hold no etcd/etcdctl binaries").format(version=up)
            )
        got_version = _binary_version(part / "etcd")
        if got_version != up:
            raise FetchError(
                _("the extracted etcd says it is {got!r}, not {want}").format(
                    got=got_version, want=up
                )
            )
        write_private(
            part / "source.json",
            json.dumps(
                {"debian_version": deb_version, "suite": suite, "sha256": digests},
                indent=2,
            ),
        )
        if final.exists():  # an incomplete earlier attempt: keep it aside, out of the way
            final.rename(root / f".{up}.incomplete-{os.getpid()}")
        os.replace(part, final)
    return FetchResult(up, final, deb_version, suite, False, tuple(kept))


def _binaries_in(d: Path) -> tuple[str, ...]:
    return tuple(n for n in BINARIES if (d / n).is_file())


def _binary_version(path: Path) -> str:
    out = subprocess.run(
        [str(path), "--version"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
        env=scrubbed_env(),
    ).stdout
    m = re.search(r"etcd Version:\s*(\S+)", out)
    return m.group(1) if m else ""


def list_available(
    *, root: Path | None = None, mirror: Mirror | None = None
) -> list[dict[str, str]]:
    """What Debian offers, with the suite, for ``fetch-etcd --list``."""
    root = root or cache_dir()
    with _lock(root / "apt" / "lock"):
        apt = PrivateApt(root / "apt", mirror or system_mirror())
        apt.update()
        return [
            {"version": upstream_version(d), "debian_version": d, "suite": s}
            for d, s in apt.available()
        ]

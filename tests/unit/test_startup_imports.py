"""Start-up cost that every command pays: what runs before a command is chosen must not
load the modules only some commands need. Checked in a fresh interpreter (the test
process has everything loaded already)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def loaded_after(code: str, tmp_path: Path, *, config: str | None = None) -> set[str]:
    env = {**os.environ, "ETCDTUI_CONFIG_DIR": str(tmp_path)}
    if config is not None:
        (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def run_python(
    code: str, tmp_path: Path, *args: str, site: bool = True, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter with a private config dir. ``site=False`` runs it
    without site (-S), in English: a development install's import hook loads pathlib
    itself, and the tree is found through PYTHONPATH instead."""
    env = {**os.environ, "ETCDTUI_CONFIG_DIR": str(tmp_path), **env_extra}
    flags = ["-c"]
    if not site:
        flags = ["-S", "-c"]
        env["LANG"] = "C.UTF-8"
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, *flags, code, *args], capture_output=True, text=True, env=env, timeout=60
    )


def sample_snapshot(tmp_path: Path) -> Path:
    """A small snapshot with a sha256 trailer (the test writer's SAMPLE tree)."""
    from tests.support.bolt_builder import SAMPLE, build_db, with_trailer

    snap = tmp_path / "s.db"
    snap.write_bytes(with_trailer(build_db(SAMPLE)))
    return snap


def test_choosing_the_language_does_not_load_the_config_package(tmp_path: Path) -> None:
    # with no config file, the language comes from the environment; the config package
    # (its model and dataclasses) would cost every command's start-up for a path
    mods = loaded_after(
        "from etcdtui.cli import choose_language\nchoose_language(['snapshot', 'verify', 'f'])",
        tmp_path,
    )
    assert "etcdtui.config" not in mods
    assert "etcdtui.cluster_data" not in mods


@pytest.mark.parametrize("flag", [[], ["--config", "{dir}/config.yaml"]])
def test_the_config_files_language_is_still_read(tmp_path: Path, flag: list[str]) -> None:
    argv = [f.format(dir=tmp_path) for f in flag] + ["status"]
    code = f"from etcdtui.cli import choose_language\nprint(choose_language({argv!r}))"
    env = {**os.environ, "ETCDTUI_CONFIG_DIR": str(tmp_path), "LANGUAGE": "en", "LANG": "C"}
    (tmp_path / "config.yaml").write_text("ui:\n  language: id\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "id"


def test_verify_hashes_without_importing_hashlib(tmp_path: Path) -> None:
    # hashlib's import probes a dozen algorithms; verify needs OpenSSL's sha256 only
    from etcdtui.services.snapshots.status import _new_sha256

    h = _new_sha256()
    h.update(b"etcd")
    import hashlib

    assert h.hexdigest() == hashlib.sha256(b"etcd").hexdigest()
    mods = loaded_after(
        "from etcdtui.services.snapshots.status import _new_sha256\n_new_sha256()", tmp_path
    )
    assert "hashlib" not in mods


@pytest.mark.parametrize("args", [["status"], ["status", "--verify"], ["verify"]])
def test_snapshot_status_and_verify_load_no_heavy_module(tmp_path: Path, args: list[str]) -> None:
    # the offline snapshot commands race etcdutl and openssl: none of the console's,
    # the transport's or the config's libraries may load on their way
    snap = sample_snapshot(tmp_path)
    code = (
        "import sys\nfrom etcdtui.cli import main\n"
        f"sys.argv = ['etcdtui', 'snapshot', *{args!r}, '-o', 'json', {str(snap)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
    )
    env_state = tmp_path / "state"
    mods = loaded_after(
        f"import os\nos.environ['ETCDTUI_STATE_DIR'] = {str(env_state)!r}\n" + code, tmp_path
    )
    heavy = {"grpc", "textual", "cryptography", "yaml", "asyncio", "hashlib", "pyrage"}
    assert "etcdtui.services.snapshots.status" in mods  # the command did run
    assert not heavy & mods, heavy & mods


def test_the_status_path_loads_no_asyncio(tmp_path: Path) -> None:
    # `etcdtui status` races three etcdctl calls: its gateway reads run on threads, and
    # importing asyncio alone would cost it a third of their time. (The real run against
    # etcd is checked in tests/integration/test_status_gateway.py.)
    mods = loaded_after(
        "from etcdtui.cli import build_parser\n"
        "args = build_parser(['status']).parse_args(['status', '-o', 'json'])\n"
        "from etcdtui.cli import cluster_cmds, invocation\n"
        "from etcdtui.services.quick_status import QuickStatus\n"
        "from etcdtui.services import metrics, readings\n"
        "from etcdtui.services.etcdapi import diagnosis, gateway\n"
        "from etcdtui.services import advisories\n"
        "from etcdtui.domain import quorum\n"
        "from etcdtui.ops import status\n"
        "assert args.func is cluster_cmds.cmd_status\n",
        tmp_path,
    )
    assert "etcdtui.services.quick_status" in mods  # the probe did run
    heavy = {"asyncio", "concurrent.futures", "grpc", "textual", "yaml", "cryptography"}
    assert not heavy & mods, heavy & mods
    assert "etcdtui.cli.procedure_cmds" not in mods  # the `member` group is not built
    # its plain data are records (etcdtui/records.py): the dataclasses module (with
    # inspect, ast, dis) and its generated methods cost a fifth of its instructions
    assert not {"dataclasses", "inspect"} & mods, {"dataclasses", "inspect"} & mods
    # nor typing: annotations are strings, the names the checker needs are imported
    # under TYPE_CHECKING (about 5 % of its instructions)
    assert "typing" not in mods


def test_the_early_hash_starts_before_argparse_and_typing(tmp_path: Path) -> None:
    # `snapshot verify FILE` is bounded by the sha256 of FILE: the entry point starts it
    # before the CLI loads, so what loads before it adds to the floor
    mods = loaded_after(
        "import etcdtui.main\nfrom etcdtui.services.snapshots import earlyhash", tmp_path
    )
    assert "etcdtui.services.snapshots.earlyhash" in mods
    assert not {"argparse", "typing", "etcdtui.cli", "etcdtui.i18n"} & mods


@pytest.mark.parametrize("lang", ["C.UTF-8", "C", "POSIX", "en_US.UTF-8"])
def test_english_loads_no_catalogue_machinery(tmp_path: Path, lang: str) -> None:
    # English is the source text: no locale module (gettext's language lookup), no
    # pathlib for the catalogue's directory. Without site (-S): a development install's
    # import hook loads pathlib itself; the package is found through PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    probe = (
        "import sys\nfrom etcdtui.i18n import set_language, _\n"
        "print(set_language(None), 'locale' in sys.modules, 'pathlib' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        capture_output=True,
        text=True,
        env={**env, "LANG": lang},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["en", "False", "False"]


def test_snapshot_status_as_a_table_loads_no_json_or_pathlib(tmp_path: Path) -> None:
    # the default output is a table; json is loaded for `-o json` (or a sidecar) only;
    # paths are plain strings on the way (pathlib loads urllib.parse and ipaddress)
    snap = sample_snapshot(tmp_path)
    code = (
        "import os, sys\nfrom etcdtui.main import main\n"
        f"os.environ['ETCDTUI_STATE_DIR'] = {str(tmp_path / 'state')!r}\n"
        f"sys.argv = ['etcdtui', 'snapshot', 'status', {str(snap)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print('loaded', 'json' in sys.modules, 'locale' in sys.modules, "
        "'pathlib' in sys.modules)\n"
    )
    # without site (-S): a development install's import hook loads pathlib itself
    proc = run_python(code, tmp_path, site=False)
    assert proc.returncode == 0, proc.stderr
    assert "REVISION" in proc.stdout  # the table was printed
    assert proc.stdout.splitlines()[-1] == "loaded False False False"


@pytest.mark.parametrize("args", [["status"], ["status", "--verify"], ["verify"]])
def test_snapshot_status_and_verify_load_no_typing_or_pathlib(
    tmp_path: Path, args: list[str]
) -> None:
    # typing alone is about 15 million instructions of start-up, and pathlib (with
    # urllib.parse and ipaddress) was loaded by verify to write its record, after the
    # result was known: both lengthen a race with etcdutl and openssl
    snap = sample_snapshot(tmp_path)
    code = (
        "import os, sys\nfrom etcdtui.main import main\n"
        f"os.environ['ETCDTUI_STATE_DIR'] = {str(tmp_path / 'state')!r}\n"
        f"sys.argv = ['etcdtui', 'snapshot', *{args!r}, '-o', 'json', {str(snap)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print('loaded', 'typing' in sys.modules, 'pathlib' in sys.modules)\n"
    )
    proc = run_python(code, tmp_path, site=False)
    assert proc.returncode == 0, proc.stderr
    assert '"totalKey": 507' in proc.stdout  # the command did run
    assert proc.stdout.splitlines()[-1] == "loaded False False"
    if args != ["status"]:
        assert (tmp_path / "state" / "snapshot-verify.json").is_file()  # the record


def test_the_status_path_loads_no_datetime(tmp_path: Path) -> None:
    # what `etcdtui status` loads on its way (the flags resolved through the config
    # package, the reading, the document) needs no datetime: the TLS files' validity
    # dates are checked only after a failed connection
    mods = loaded_after(
        "from etcdtui.cli import build_parser, choose_language\n"
        "choose_language(['status'])\n"
        "args = build_parser(['status']).parse_args(['status', '--endpoints', "
        "'https://127.0.0.1:1', '--insecure'])\n"
        "from etcdtui.cli.invocation import settings_from_args\n"
        "settings = settings_from_args(args)\n"
        "from etcdtui.services.quick_status import QuickStatus\n"
        "from etcdtui.services import advisories, metrics\n"
        "from etcdtui.ops.status import status_document\n",
        tmp_path,
    )
    assert "etcdtui.config.resolve" in mods  # the probe did resolve the settings
    assert not {"datetime", "locale", "asyncio"} & mods, {"datetime", "locale"} & mods


def test_start_up_objects_leave_the_collector_only_for_the_process_command(
    tmp_path: Path,
) -> None:
    # run as the process's own command (argv from sys.argv), what start-up built is
    # frozen before the command runs: no collection traverses it again, at exit neither
    code = (
        "import atexit, gc, sys\nfrom etcdtui.cli import main\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['etcdtui', 'snapshot', 'status', '--help']\n"
        "main()\n"
    )
    proc = run_python(code, tmp_path)
    assert proc.stdout.splitlines()[-1] == "frozen False"  # help: no command ran
    code = code.replace("'--help'", repr(str(tmp_path / "missing.db")))
    proc = run_python(code, tmp_path)
    assert "missing.db" in proc.stderr  # the command ran (and failed: no such file)
    assert proc.stdout.splitlines()[-1] == "frozen True"


@pytest.mark.parametrize("words", [["status"], ["verify"], ["status", "--help"]])
def test_a_snapshot_command_starts_up_without_collections_and_runs_with_them(
    tmp_path: Path, words: list[str]
) -> None:
    # the collector is off while the modules and the parser are built (no garbage
    # there), and on again when the command runs and at exit, also after --help
    snap = sample_snapshot(tmp_path)
    code = (
        "import atexit, gc, sys\n"
        "from etcdtui.cli import snapshot_cmds\n"
        "real = snapshot_cmds.cmd_status, snapshot_cmds.cmd_verify\n"
        "seen = []\n"
        "def spy(cmd):\n"
        "    def run(args):\n"
        "        after = gc.get_stats()[0]['collections']\n"
        "        seen.append((gc.isenabled(), after - before))\n"
        "        return cmd(args)\n"
        "    return run\n"
        "snapshot_cmds.cmd_status, snapshot_cmds.cmd_verify = map(spy, real)\n"
        "atexit.register(lambda: print('at exit', gc.isenabled(), seen))\n"
        "from etcdtui.main import main\n"
        f"sys.argv = ['etcdtui', 'snapshot', *{words!r}, {str(snap)!r}]\n"
        "before = gc.get_stats()[0]['collections']\n"
        "main()\n"
    )
    proc = run_python(code, tmp_path, ETCDTUI_STATE_DIR=str(tmp_path / "state"))
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.splitlines()[-1]
    if "--help" in words:
        assert last == "at exit True []"
    else:
        assert last == "at exit True [(True, 0)]", last


def test_an_in_process_caller_keeps_its_collector(capsys: pytest.CaptureFixture[str]) -> None:
    # tests and other callers pass an argv and go on afterwards: nothing of theirs is
    # frozen out of the collector
    import gc

    from etcdtui.cli import main

    before = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        main(["snapshot", "status", "/nonexistent/etcdtui-missing.db"])
    assert gc.get_freeze_count() == before
    assert "etcdtui-missing.db" in capsys.readouterr().err


def test_the_collector_sleeps_through_start_up_and_wakes_for_the_command(tmp_path: Path) -> None:
    # the `etcdtui` command (here `status`; the snapshot commands have their own test
    # above): no cyclic collection runs before the command starts (what start-up built
    # is frozen then), and collection is back on for the command itself
    code = (
        "import atexit, gc, sys\n"
        "from etcdtui.main import main\n"
        "early = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and not gc.get_freeze_count()"
        " and early.append(info['generation']))\n"
        "atexit.register(lambda: print('early', len(early), 'enabled', gc.isenabled()))\n"
        "sys.argv = ['etcdtui', 'status', '--endpoints', sys.argv[1], '--insecure', "
        "'--timeout', '2']\n"
        "main()\n"
    )
    # nothing listens on port 1 of loopback: the command runs and reports it
    proc = run_python(code, tmp_path, "http://127.0.0.1:1")
    assert "127.0.0.1:1" in proc.stdout + proc.stderr, proc.stderr
    assert proc.stdout.splitlines()[-1] == "early 0 enabled True"

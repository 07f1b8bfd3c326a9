"""Every small file etcdtui reads is a regular file read up to a limit (issue 11, item 7).

The reader itself is tested on a FIFO, /dev/zero, an oversized file and a pipe with a
writer; a source scan fails when new code reads a file another way."""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest

import etcdtui
from etcdtui.safeio import (
    FileTooLarge,
    HomeUnknown,
    NotRegularFile,
    expand_user,
    read_limited,
    read_tail,
)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile, match="FIFO"):
        read_limited(fifo)


def test_a_device_is_refused() -> None:
    with pytest.raises(NotRegularFile, match="device"):
        read_limited("/dev/zero")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises((NotRegularFile, IsADirectoryError)):
        read_limited(tmp_path)


def test_the_limit_holds(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 1025)
    with pytest.raises(FileTooLarge, match="1 KiB"):
        read_limited(big, 1024)
    assert read_limited(big, 1025) == b"x" * 1025


def test_a_pipe_with_a_writer_is_read_when_allowed(tmp_path: Path) -> None:
    fifo = tmp_path / "pass"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as f:  # blocks until the reader opens
            f.write(b"secret\n")

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    fd = os.open(fifo, os.O_RDONLY)  # wait for the writer, as `<(...)` has one already
    try:
        assert read_limited(f"/proc/self/fd/{fd}", 100, allow_pipe=True) == b"secret\n"
    finally:
        os.close(fd)
        t.join(5)


def test_read_tail_reads_only_the_end(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"a" * 1000 + b"END")
    assert read_tail(log, 3) == b"END"


def test_tilde_of_an_unknown_user_is_a_clear_error() -> None:
    with pytest.raises(HomeUnknown, match="~nouser-etcdtui"):
        expand_user("~nouser-etcdtui/x")
    assert expand_user("/abs/x") == Path("/abs/x")


# Reads that are not small files: streamed snapshots (checked to be regular files first),
# and /proc records of our own child processes.
ALLOWED = {
    ("services/snapshots/open_file.py", "encryption_of"),
    ("services/sandbox_state.py", "process_state"),
    ("services/sandbox_state.py", "cmdline"),
    # the fault proxy and the starver run as their own small processes and import nothing
    # of etcdtui: /proc records of our own children, the proxy's own rules file
    ("services/sandbox_proxy.py", "socket_inode"),
    ("services/sandbox_proxy.py", "_load"),
    ("services/sandbox_proxy.py", "_alive"),
    ("services/sandbox_starve.py", "_owns"),
    # data dirs read offline: WAL segments (64 MiB each, one at a time) and the db, streamed
    ("services/evidence.py", "read_wal"),
    ("services/evidence.py", "copy_db"),
}


def _unbounded_reads(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    stack: list[str] = []

    class Visitor(ast.NodeVisitor):
        def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
            stack.append(node.name)
            self.generic_visit(node)
            stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

        def visit_Call(self, node: ast.Call) -> None:
            func = node.func
            where = stack[-1] if stack else "<module>"
            if isinstance(func, ast.Attribute) and func.attr in ("read_bytes", "read_text"):
                found.append((node.lineno, where))
            if isinstance(func, ast.Name) and func.id == "open":
                mode = node.args[1] if len(node.args) > 1 else None
                mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
                text = mode.value if isinstance(mode, ast.Constant) else "r"
                first = node.args[0] if node.args else None
                is_fd = isinstance(first, ast.Name) and first.id == "fd"
                if "r" in str(text) and not is_fd:
                    found.append((node.lineno, where))
            self.generic_visit(node)

    Visitor().visit(tree)
    return found


def test_no_file_is_read_around_the_bounded_reader() -> None:
    root = Path(etcdtui.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name.endswith(("_pb2.py", "_pb2_grpc.py")):
            continue
        rel = str(path.relative_to(root))
        for line, func in _unbounded_reads(ast.parse(path.read_text(), rel)):
            if (rel, func) not in ALLOWED:
                offenders.append(f"{rel}:{line} in {func}()")
    assert offenders == [], (
        "read files with etcdtui.safeio.read_limited/open_regular, not: " + ", ".join(offenders)
    )

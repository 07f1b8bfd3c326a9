"""Every benchmark target of issue 16 as a ratio from one run, with met/missed, written
to ``benchmarks/RESULTS.md`` (date, machine, each measure, reference, ratio, target).

    .venv/bin/python -m benchmarks.run_all [--snapshots DIR] [--scale-dir DIR] [--with-1g]
        [--skip-console] [--skip-overview] [--sizes 100 500] [--runs 5] [--scale-runs 1]

Snapshots of the given sizes (MB, Kubernetes-like keyspace, values of 3 kB) are built
once in DIR (``DIR/<size>/bench.db``) through a private sandbox and etcdctl (minutes per
size on a small machine), then reused. Sections:

* snapshots: ``snapshot status`` against ``etcdutl snapshot status`` (target ≤ 1.5) and
  ``snapshot verify`` against ``openssl dgst -sha256`` (the hash floor, target ≤ 1.2),
  each with wall and CPU time from interleaved rounds;
* scale: ``snapshot inspect A`` and ``snapshot diff A B`` on the scale pairs of
  ``benchmarks/snapshots_offline.py --scale`` (700-byte values, 100 k keys per 100 MB:
  1 M keys in the 1 GB class), built once in ``--scale-dir`` (default ``DIR/scale``) and
  reused: time and peak RSS per size (target: RSS < 250 MB) and the growth of CPU ms
  per MB from the smallest to the largest class (linear: ≤ 1.25). ``--with-1g`` adds
  the 1 GB class to both sections (100 MB, 500 MB and 1 GB);
* overview: ``etcdtui status`` against the three etcdctl calls (target ≤ 1.0);
* console: cold start to a populated members table (target ≤ 0.8 s) and idle output at
  the 2 s refresh against htop in the same pty (target ≤ 600 B/s and ≤ 2× htop).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from benchmarks.harness import scratch_dir
from benchmarks.results import Results, Row, carry_over, load1
from benchmarks.snapshots_offline import (
    SCALE_CLASSES,
    SCALE_LINEAR_MAX,
    SCALE_RSS_TARGET_MB,
    build,
    child_env,
    measure,
    scale,
)
from etcdtui.services.binaries import find_binary

# Keys per size in MB: etcd's file is about 1.36x the values written (3 kB each).
KEYS_PER_MB = 240


def snapshot_file(base: Path, size_mb: int) -> Path:
    d = base / str(size_mb)
    d.mkdir(parents=True, exist_ok=True)
    return build(d, size_mb * KEYS_PER_MB, 3000)


def rounds(
    cmds: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, dict[str, float]]:
    """Median wall, median CPU and max peak RSS per command, over interleaved rounds
    after one warm-up (page cache and bytecode cache)."""
    for cmd in cmds.values():
        measure(cmd, env)
    samples: dict[str, list[tuple[float, float, int]]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            wall, cpu, rss, _out = measure(cmd, env)
            samples[name].append((wall, cpu, rss))
    return {
        k: {
            "wall": statistics.median(s[0] for s in v),
            "cpu": statistics.median(s[1] for s in v),
            "rss_mb": max(s[2] for s in v) / 1e6,
        }
        for k, v in samples.items()
    }


def snapshot_section(res: Results, files: dict[int, Path], runs: int) -> None:
    from benchmarks.harness import installed_etcdtui

    command = str(installed_etcdtui())  # as a user installs it (see benchmarks/overview.py)
    etcdutl = str(find_binary("etcdutl"))
    openssl = shutil.which("openssl")
    state = Path(tempfile.mkdtemp(prefix="etcdtui-bench-state-"))
    env = {**child_env(), "ETCDTUI_STATE_DIR": str(state)}
    for size, snap in files.items():
        mb = snap.stat().st_size / 1e6
        label = f"{size} MB class ({mb:.0f} MB file)"

        def ours(*args: str, snap: Path = snap) -> list[str]:
            return [command, "snapshot", *args, "-o", "json", str(snap)]

        cmds = {
            "etcdutl status": [etcdutl, "snapshot", "status", "-w", "json", str(snap)],
            "status": ours("status"),
            "verify": ours("verify"),
        }
        if openssl:
            cmds["openssl"] = [openssl, "dgst", "-sha256", str(snap)]
        m = rounds(cmds, env, runs)
        eu, st = m["etcdutl status"], m["status"]
        res.ratio_row("snapshot", f"status, {label}", st["wall"], eu["wall"], "etcdutl", 1.5)
        res.ratio_row(
            "snapshot",
            f"status CPU time, {label}",
            st["cpu"],
            eu["cpu"],
            "etcdutl",
            None,
            note=f"peak RSS {st['rss_mb']:.0f} MB vs etcdutl {eu['rss_mb']:.0f} MB",
        )
        if openssl:
            op, vf = m["openssl"], m["verify"]
            res.ratio_row("snapshot", f"verify, {label}", vf["wall"], op["wall"], "openssl", 1.2)
            res.ratio_row(
                "snapshot",
                f"verify CPU time, {label}",
                vf["cpu"],
                op["cpu"],
                "openssl",
                None,
                note="sha256 and the structure walk run on two threads; wall needs a free core",
            )
    shutil.rmtree(state, ignore_errors=True)


def scale_section(res: Results, base: Path, classes: list[int], runs: int) -> None:
    """``snapshot inspect A`` and ``snapshot diff A B`` on snapshots_offline's scale
    pairs (Kubernetes-like keyspace, 100 k keys per 100 MB, up to 1 M keys at 1 GB):
    time and peak RSS per size class, and how the CPU ms per MB grows with the size."""
    rows = scale(base, classes, runs)
    for r in rows:
        res.add(
            Row(
                "scale",
                f"{r['command']}, {r['class_mb']} MB class ({r['file_mb']:.0f} MB file,"
                f" {SCALE_CLASSES[r['class_mb']] // 1000} k keys)",
                f"{r['seconds']:.2f} s, {r['peak_rss_mb']:.0f} MB RSS",
                f"{r['ms_per_mb']:.2f} ms/MB, CPU {r['cpu_ms_per_mb']:.2f} ms/MB",
                None,
                f"RSS < {SCALE_RSS_TARGET_MB} MB",
                r["peak_rss_mb"] < SCALE_RSS_TARGET_MB,
            )
        )
    for name in ("inspect", "diff"):
        mine = [r for r in rows if r["command"] == name]
        if len(mine) < 2:
            continue
        small, big = mine[0], mine[-1]
        res.ratio_row(
            "scale",
            f"{name}: CPU ms/MB at {big['class_mb']} MB / at {small['class_mb']} MB (linear)",
            big["cpu_ms_per_mb"],
            small["cpu_ms_per_mb"],
            f"{small['class_mb']} MB",
            SCALE_LINEAR_MAX,
            unit="ms/MB",
        )


def overview_section(res: Results, runs: int) -> None:
    from benchmarks.overview import measure_rows

    for members in (3, 5):
        for row in measure_rows(members, runs, 2.0):
            res.add(row)


def console_section(res: Results, runs: int, idle_seconds: float) -> None:
    from benchmarks.tui import measure_rows

    if shutil.which("htop") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        res.notes.append("htop was missing; installed with apt-get for the reference.")
        subprocess.run(["apt-get", "install", "-y", "-q", "htop"], capture_output=True)
    for row in measure_rows(runs, idle_seconds):
        res.add(row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshots", type=Path, default=None, help="build/reuse snapshots here")
    ap.add_argument(
        "--scale-dir",
        type=Path,
        default=None,
        help="build/reuse the scale pairs here (default: SNAPSHOTS/scale)",
    )
    ap.add_argument("--scale-runs", type=int, default=1, help="runs per scale command")
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 500])
    ap.add_argument("--with-1g", action="store_true", help="also a 1 GB snapshot")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=30.0)
    ap.add_argument("--skip-snapshots", action="store_true")
    ap.add_argument("--skip-overview", action="store_true")
    ap.add_argument("--skip-console", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write here, not RESULTS.md")
    args = ap.parse_args()
    res = Results()
    res.loads.append(load1())
    if not args.skip_snapshots:
        base = args.snapshots or scratch_dir("etcdtui-bench-snaps-")
        sizes = list(args.sizes) + ([1000] if args.with_1g else [])
        files = {s: snapshot_file(base, s) for s in sizes}
        snapshot_section(res, files, args.runs)
        classes = [s for s in sizes if s in SCALE_CLASSES]
        if classes:
            scale_section(res, args.scale_dir or base / "scale", classes, args.scale_runs)
    if not args.skip_overview:
        overview_section(res, args.runs)
    if not args.skip_console:
        console_section(res, 3, args.idle_seconds)
    if not args.out:
        skipped = {
            name
            for name, skip in (
                ("snapshot", args.skip_snapshots),
                ("scale", args.skip_snapshots),
                ("overview", args.skip_overview),
                ("console", args.skip_console),
            )
            if skip
        }
        carry_over(res, skipped)
    path = res.write(args.out) if args.out else res.write()
    missed = [r for r in res.rows if r.met is False]
    print(f"\n{len(res.rows)} measures, {len(missed)} missed; written to {path}")


if __name__ == "__main__":
    main()

"""Benchmark results: each measure as a ratio against its reference from the same run,
a target and a verdict, printed as they come and written to ``benchmarks/RESULTS.md``
with the date and the machine."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass
class Row:
    section: str
    measure: str
    ours: str
    reference: str
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target (information only)
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "-"}[self.met]


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    carried: list[str] = field(default_factory=list)  # table lines kept from the last file

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        ratio = f"{row.ratio:5.2f}" if row.ratio is not None else "    -"
        print(
            f"[{row.section}] {row.measure:<52} {row.ours:>18} vs {row.reference:<28}"
            f" ratio {ratio}  target {row.target or '-':<10} {row.verdict}"
            + (f"  ({row.note})" if row.note else ""),
            flush=True,
        )
        self.loads.append(load1())
        return row

    def ratio_row(
        self,
        section: str,
        measure: str,
        ours: float,
        reference: float,
        reference_label: str,
        target: float | None,
        unit: str = "s",
        note: str = "",
    ) -> Row:
        ratio = ours / reference if reference else float("inf")
        return self.add(
            Row(
                section,
                measure,
                fmt(ours, unit),
                f"{reference_label} {fmt(reference, unit)}",
                ratio,
                f"≤ {target}" if target is not None else "",
                None if target is None else ratio <= target,
                note,
            )
        )

    def write(self, path: Path = RESULTS) -> Path:
        lines = [
            "# Benchmark results",
            "",
            "Written by `python -m benchmarks.run_all`; see [docs/benchmarks.md]"
            "(../docs/benchmarks.md) for what each measure means. Every ratio is etcdtui "
            "against its reference measured in the same run, so it holds even when the "
            "machine's load moves the absolute times.",
            "",
            f"- date: {datetime.fromtimestamp(self.started, UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- machine: {machine()}",
            f"- load average (1 min) during the run: {load_range(self.loads)}",
            "",
            "| section | measure | etcdtui | reference | ratio | target | verdict | note |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
            lines.append(
                f"| {r.section} | {r.measure} | {r.ours} | {r.reference} | {ratio} "
                f"| {r.target or '-'} | {r.verdict} | {r.note} |"
            )
        lines += self.carried
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def carry_over(res: Results, skipped: set[str], path: Path = RESULTS) -> None:
    """Keep the rows of the sections this run skipped from the last results file (a run
    of one section must not drop the others), with a note giving their date."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return
    date = next(
        (ln[len("- date: ") :] for ln in text.splitlines() if ln.startswith("- date: ")), "?"
    )
    kept = [
        ln
        for ln in text.splitlines()
        if ln.startswith("| ") and ln.split("|")[1].strip() in skipped
    ]
    if kept:
        res.carried += kept
        res.notes.append(
            f"Rows of {', '.join(sorted(skipped))} are from the previous run ({date}); "
            "this run measured the other sections."
        )


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "B/s":
        return f"{value:.0f} B/s"
    return f"{value:.3g} {unit}"


def load1() -> float:
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return 0.0


def load_range(loads: list[float]) -> str:
    return f"{min(loads):.1f}–{max(loads):.1f}" if loads else "-"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"{mem} memory, Linux {platform.release()}, Python {platform.python_version()}"
    )

"""`etcdtui check consistency|perf` and `etcdtui evidence DATA_DIR...`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    del sub

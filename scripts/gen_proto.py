"""Regenerate etcdtui's gRPC code from our .proto subset.

Usage: python scripts/gen_proto.py [--out DIR]

The generated modules are committed; tests/unit/test_proto_fresh.py fails
when they differ from what this script produces.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = Path("etcdtui/services/etcdapi")
PROTOS = ["kv.proto", "rpc.proto"]


def generate(out: Path) -> None:
    from grpc_tools import protoc

    out.mkdir(parents=True, exist_ok=True)
    for name in PROTOS:
        args = [
            "protoc",
            f"-I{ROOT}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            str(PROTO_DIR / name),
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed for {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT, help="output root (default: repo)")
    args = parser.parse_args()
    generate(args.out)
    print(f"generated into {args.out / PROTO_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The floor under `etcdtui status`: the same requests with nothing of etcdtui's own.

One Python process that imports grpc and the generated messages, opens one TLS channel
per endpoint and asks what `etcdtui status` asks (member list, per-endpoint Status and
a linearizable read, the alarms, each member's /metrics over TLS), all at once, then
exits. `benchmarks/overview.py` times it beside `etcdtui status` and the etcdctl calls:
whatever etcdtui takes beyond it is our own code; what it takes beyond etcdctl is the
price of the interpreter, grpcio and protobuf.

    python benchmarks/grpc_floor.py --endpoints URL,URL --cacert F --cert F --key F
"""

from __future__ import annotations

import argparse
import asyncio
import os

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc
from grpc import aio

from etcdtui.services.etcdapi import rpc_pb2, rpc_pb2_grpc


async def scrape(target: str, ctx: object) -> int:
    host, _sep, port = target.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx)
    writer.write(f"GET /metrics HTTP/1.0\r\nHost: {target}\r\n\r\n".encode())
    await writer.drain()
    size = 0
    while chunk := await reader.read(65536):
        size += len(chunk)
    writer.close()
    return size


async def main(args: argparse.Namespace) -> None:
    targets = [u.removeprefix("https://") for u in args.endpoints.split(",")]

    def read(path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    creds = grpc.ssl_channel_credentials(read(args.cacert), read(args.key), read(args.cert))
    channels = [aio.secure_channel(t, creds) for t in targets]
    t = args.timeout
    calls: list[object] = []
    for ch in channels:
        calls.append(rpc_pb2_grpc.MaintenanceStub(ch).Status(rpc_pb2.StatusRequest(), timeout=t))
        read_req = rpc_pb2.RangeRequest(key=b"health", count_only=True)
        calls.append(rpc_pb2_grpc.KVStub(ch).Range(read_req, timeout=t))
    first = channels[0]
    members = rpc_pb2.MemberListRequest(linearizable=True)
    calls.append(rpc_pb2_grpc.ClusterStub(first).MemberList(members, timeout=t))
    calls.append(rpc_pb2_grpc.MaintenanceStub(first).Alarm(rpc_pb2.AlarmRequest(), timeout=t))
    import ssl

    ctx = ssl.create_default_context(cafile=args.cacert)
    ctx.load_cert_chain(args.cert, args.key)
    calls += [scrape(target, ctx) for target in targets]
    results = await asyncio.gather(*calls, return_exceptions=True)  # type: ignore[arg-type]
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise SystemExit(f"floor: {len(failed)} requests failed: {failed[0]!r}")
    for ch in channels:
        await ch.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    for flag in ("--endpoints", "--cacert", "--cert", "--key"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--timeout", type=float, default=2.0)
    asyncio.run(main(ap.parse_args()))

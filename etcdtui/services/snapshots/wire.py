"""A tiny, bounds-checked protobuf wire-format reader.

Enough to pull a few known fields out of Kubernetes objects without their schemas:
``fields(buf)`` yields ``(number, wire_type, value)`` where value is an int for varint
and fixed-width fields and a ``bytes`` slice for length-delimited ones. Malformed
input raises :class:`WireError`; nothing reads past the buffer.
"""

from __future__ import annotations

from collections.abc import Iterator

VARINT, FIXED64, LENGTH, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise WireError("varint runs past the end")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    pos = 0
    end = len(buf)
    while pos < end:
        tag, pos = read_varint(buf, pos)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == VARINT:
            value, pos = read_varint(buf, pos)
            yield number, wire_type, value
        elif wire_type == LENGTH:
            length, pos = read_varint(buf, pos)
            if length > end - pos:
                raise WireError("length-delimited field runs past the end")
            yield number, wire_type, buf[pos : pos + length]
            pos += length
        elif wire_type == FIXED64:
            if pos + 8 > end:
                raise WireError("fixed64 runs past the end")
            yield number, wire_type, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wire_type == FIXED32:
            if pos + 4 > end:
                raise WireError("fixed32 runs past the end")
            yield number, wire_type, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire_type}")


def to_int64(value: int) -> int:
    """Two's-complement reinterpretation of a varint as int64."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def message_fields(buf: bytes) -> dict[int, list[int | bytes]]:
    """All fields of one message, grouped by number, in order of appearance."""
    out: dict[int, list[int | bytes]] = {}
    for number, _wt, value in fields(buf):
        out.setdefault(number, []).append(value)
    return out


def last_bytes(msg: dict[int, list[int | bytes]], number: int) -> bytes | None:
    """The last length-delimited value of field ``number`` (proto3: last one wins)."""
    found = [v for v in msg.get(number, ()) if isinstance(v, bytes)]
    return found[-1] if found else None


def last_int(msg: dict[int, list[int | bytes]], number: int) -> int | None:
    ints = [v for v in msg.get(number, ()) if isinstance(v, int)]
    return ints[-1] if ints else None


def text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")

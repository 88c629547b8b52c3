"""Length-prefixed frames: u32 LE length of what follows, u8 kind, u32 LE request id, then the body."""
import os
import struct

HEADER = struct.Struct("<IBI")

# Ferry -> worker
LOAD = 1
PREDICT = 2
PING = 3
READY = 4
# worker -> Ferry
LOADED = 101
RESULT = 102
ERROR = 103
PONG = 104
READY_ANSWER = 105


def _read_exact(fd, size):
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            return None
        got += n
    return buffer


def read_frame(fd):
    """(kind, id, body) of the next frame, or None when Ferry closed the pipe."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    length, kind, request_id = HEADER.unpack(header)
    body = _read_exact(fd, length - 5) if length > 5 else bytearray()
    if body is None:
        return None
    return kind, request_id, body


def write_frame(fd, kind, request_id, parts):
    """Writes one frame whose body is the concatenation of `parts` (bytes-like objects)."""
    size = sum(len(p) for p in parts)
    chunks = [HEADER.pack(size + 5, kind, request_id), *parts]
    for chunk in chunks:
        view = memoryview(chunk).cast("B")
        while len(view):
            written = os.write(fd, view)
            view = view[written:]

"""Length-prefixed frames: u32 LE length of what follows, u8 kind, u32 LE request id, then the body."""
import os
import struct

HEADER = struct.Struct("<IBI")

# Ferry -> worker
LOAD = 1
PREDICT = 2
PING = 3
READY = 4
PREDICT_BATCH = 5
# worker -> Ferry
LOADED = 101
RESULT = 102
ERROR = 103
PONG = 104
READY_ANSWER = 105


class FrameReader:
    """Reads frames from a pipe, taking whatever the pipe holds in one read: a header and its body (and the next
    frame, when Ferry sent it while this one was computing) arrive in one system call instead of two each."""

    CHUNK = 1 << 16

    def __init__(self, fd):
        self.fd = fd
        self.buffer = bytearray()

    def _fill(self, size):
        """At least `size` bytes buffered; False when Ferry closed the pipe first."""
        while len(self.buffer) < size:
            data = os.read(self.fd, max(size - len(self.buffer), self.CHUNK))
            if not data:
                return False
            self.buffer += data
        return True

    def read(self):
        """(kind, id, body) of the next frame, or None when Ferry closed the pipe. The body is a fresh bytearray,
        so numpy may view it in place (its start is aligned)."""
        if not self._fill(HEADER.size):
            return None
        length, kind, request_id = HEADER.unpack_from(self.buffer)
        length = max(length, HEADER.size - 4)
        if not self._fill(4 + length):
            return None
        body = self.buffer[HEADER.size : 4 + length]
        del self.buffer[: 4 + length]
        return kind, request_id, body


def write_frame(fd, kind, request_id, parts):
    """Writes one frame whose body is the concatenation of `parts` (bytes-like objects), in one writev when the
    pipe takes it all (a frame is one system call, not one per part)."""
    views = [memoryview(p).cast("B") for p in parts]
    views = [HEADER.pack(sum(len(v) for v in views) + 5, kind, request_id), *(v for v in views if len(v))]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if views and written:
            views[0] = memoryview(views[0])[written:]

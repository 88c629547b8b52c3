"""Tensors on the wire: u32 LE JSON header length, the header [{name, datatype, shape, nbytes}], padding to 8,
then each tensor's raw little-endian bytes padded to 8. BYTES tensors are u32 LE length-prefixed elements."""
import json
import struct

import numpy as np

NUMPY = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64, "BF16": np.uint16,
}
_U32 = struct.Struct("<I")


def _pad(size):
    return (8 - size % 8) % 8


def decode(body):
    """A dict of numpy arrays (BYTES as object arrays of bytes) from a tensor body."""
    (header_size,) = _U32.unpack_from(body, 0)
    header = json.loads(bytes(body[4 : 4 + header_size]))
    offset = 4 + header_size
    offset += _pad(offset)
    view = memoryview(body)
    tensors = {}
    for spec in header:
        nbytes = spec["nbytes"]
        shape = tuple(spec["shape"])
        chunk = view[offset : offset + nbytes]
        if spec["datatype"] == "BYTES":
            tensors[spec["name"]] = _decode_bytes(chunk, shape)
        else:
            tensors[spec["name"]] = np.frombuffer(chunk, dtype=NUMPY[spec["datatype"]]).reshape(shape)
        offset += nbytes + _pad(nbytes)
    return tensors


def _decode_bytes(chunk, shape):
    count = 1
    for dim in shape:
        count *= dim
    items = np.empty(count, dtype=object)
    at = 0
    for i in range(count):
        (size,) = _U32.unpack_from(chunk, at)
        items[i] = bytes(chunk[at + 4 : at + 4 + size])
        at += 4 + size
    return items.reshape(shape)


def datatype_of(array):
    """The Open Inference Protocol datatype of a numpy array (strings and objects travel as BYTES)."""
    kind = array.dtype
    if kind == np.bool_:
        return "BOOL"
    for name, numpy_type in NUMPY.items():
        if name != "BF16" and kind == numpy_type:
            return name
    if kind.kind in ("U", "S", "O"):
        return "BYTES"
    raise TypeError(f"outputs of dtype {kind} cannot be sent (use a numeric, bool or string array)")


def _as_bytes(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return str(value).encode("utf-8")


def encode(tensors):
    """Body parts for a dict name -> array (anything numpy.asarray accepts)."""
    header = []
    blobs = []
    for name, value in tensors.items():
        array = np.asarray(value)
        datatype = datatype_of(array)
        if datatype == "BYTES":
            parts = []
            for item in array.reshape(-1):
                data = _as_bytes(item)
                parts.append(_U32.pack(len(data)))
                parts.append(data)
            blob = b"".join(parts)
        else:
            blob = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header.append({"name": name, "datatype": datatype, "shape": list(array.shape), "nbytes": len(blob)})
        blobs.append(blob)
    encoded = json.dumps(header).encode("utf-8")
    parts = [_U32.pack(len(encoded)), encoded, b"\0" * _pad(4 + len(encoded))]
    for blob in blobs:
        parts.append(blob)
        parts.append(b"\0" * _pad(len(blob)))
    return parts


_COUNT = struct.Struct("<I4x")


def decode_list(body):
    """Per-request dicts of arrays from a PREDICT_BATCH body: u32 LE count, padding to 8, then per request a u32 LE
    byte length, padding to 8 and that request's tensor body, padded to 8."""
    (count,) = _COUNT.unpack_from(body, 0)
    view = memoryview(body)
    offset = 8
    requests = []
    for _ in range(count):
        (size,) = _COUNT.unpack_from(body, offset)
        offset += 8
        requests.append(decode(view[offset : offset + size]))
        offset += size + _pad(size)
    return requests


def encode_list(results):
    """Body parts for a list of dicts name -> array, in decode_list's layout."""
    parts = [_COUNT.pack(len(results))]
    for tensors in results:
        body = encode(tensors)
        size = sum(len(p) for p in body)
        parts.append(_COUNT.pack(size))
        parts.extend(body)
        parts.append(b"\0" * _pad(size))
    return parts

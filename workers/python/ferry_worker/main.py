"""The worker's loop: one request at a time, answered in order; an exception in the model is an answer."""
import json
import os
import signal
import sys
import traceback

import numpy as np

from . import frames, tensors


def _declared_casts(outputs):
    casts = {}
    for spec in outputs or []:
        numpy_type = tensors.NUMPY.get(spec.get("datatype"))
        if numpy_type is not None:
            casts[spec["name"]] = numpy_type
    return casts


class Worker:
    def __init__(self, read_fd, write_fd):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.model = None
        self.casts = {}

    def send_json(self, kind, request_id, value):
        frames.write_frame(self.write_fd, kind, request_id, [json.dumps(value).encode("utf-8")])

    def send_error(self, request_id, error):
        self.send_json(frames.ERROR, request_id, {
            "type": type(error).__name__,
            "message": str(error),
            "traceback": traceback.format_exc(),
        })

    def load(self, request_id, body):
        settings = json.loads(bytes(body))
        if settings["kind"] == "model_py":
            from .model_py import load_model_py
            self.model = load_model_py(settings["path"])
        else:
            from .mlflow_model import MlflowModel
            self.model = MlflowModel(settings["path"], settings["mlflow"], settings.get("allow_pickle", False))
        signature = None
        metadata = getattr(self.model, "metadata", None)
        if callable(metadata):
            signature = metadata()
        outputs = (signature or {}).get("outputs") or (settings.get("declared") or {}).get("outputs")
        self.casts = _declared_casts(outputs)
        self.send_json(frames.LOADED, request_id, {
            "signature": signature,
            "has_ready": callable(getattr(self.model, "ready", None)),
            "batches": callable(getattr(self.model, "predict_batch", None)),
        })

    def prepare(self, outputs, method):
        """A model's outputs as arrays, numbers cast to the declared datatypes."""
        if not isinstance(outputs, dict):
            raise TypeError(f"{method} must return a dict of arrays keyed by output name, not {type(outputs).__name__}")
        prepared = {}
        for name, value in outputs.items():
            array = np.asarray(value)
            cast = self.casts.get(name)
            if cast is not None and array.dtype != cast and array.dtype.kind not in ("U", "S", "O"):
                array = array.astype(cast)
            prepared[name] = array
        return prepared

    def predict(self, request_id, body):
        outputs = self.prepare(self.model.predict(tensors.decode(body)), "predict()")
        frames.write_frame(self.write_fd, frames.RESULT, request_id, tensors.encode(outputs))

    def predict_batch(self, request_id, body):
        requests = tensors.decode_list(body)
        results = self.model.predict_batch(requests)
        if not isinstance(results, (list, tuple)) or len(results) != len(requests):
            got = f"{len(results)} results" if isinstance(results, (list, tuple)) else f"a {type(results).__name__}"
            raise TypeError(f"predict_batch() must return a list with one dict of outputs per request ({len(requests)}), not {got}")
        outputs = [self.prepare(result, f"predict_batch() result {i}") for i, result in enumerate(results)]
        frames.write_frame(self.write_fd, frames.RESULT, request_id, tensors.encode_list(outputs))

    def ready(self, request_id):
        answer = bool(self.model.ready()) if self.model is not None else False
        self.send_json(frames.READY_ANSWER, request_id, answer)

    def serve(self):
        reader = frames.FrameReader(self.read_fd)
        while True:
            frame = reader.read()
            if frame is None:
                return 0
            kind, request_id, body = frame
            try:
                if kind == frames.PREDICT:
                    self.predict(request_id, body)
                elif kind == frames.PREDICT_BATCH:
                    self.predict_batch(request_id, body)
                elif kind == frames.PING:
                    frames.write_frame(self.write_fd, frames.PONG, request_id, [])
                elif kind == frames.LOAD:
                    self.load(request_id, body)
                elif kind == frames.READY:
                    self.ready(request_id)
                else:
                    raise ValueError(f"unknown frame kind {kind}")
            except Exception as error:  # the model's failure is this request's answer; the worker carries on
                self.send_error(request_id, error)
            sys.stdout.flush()
            sys.stderr.flush()


def main(argv):
    read_fd, write_fd = int(argv[0]), int(argv[1])
    # Ferry stops a worker by closing its pipe or with SIGTERM; Ctrl-C in Ferry's terminal is Ferry's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.set_inheritable(read_fd, False)
    os.set_inheritable(write_fd, False)
    return Worker(read_fd, write_fd).serve()

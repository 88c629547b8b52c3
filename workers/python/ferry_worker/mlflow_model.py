"""MLflow flavors served by Python: python_function (loader_module, or python_model with artifacts) and sklearn.

Ferry parses the MLmodel file and sends the flavor's settings; pickles are opened only when model.yaml allows it.
"""
import importlib
import inspect
import os
import pickle
import sys

import numpy as np

try:
    import pandas
except ImportError:  # pandas is optional: column inputs then arrive as a dict of arrays
    pandas = None


class _Context:
    """What MLflow hands PythonModel.load_context and predict: artifact paths and the model config."""

    def __init__(self, artifacts, model_config):
        self.artifacts = artifacts
        self.model_config = model_config


def _unpickle(file, allow_pickle):
    if not allow_pickle:
        raise PermissionError(f"{os.path.basename(file)} is a pickle; set allow_pickle: true in model.yaml to load it")
    with open(file, "rb") as handle:
        return pickle.load(handle)


def _add_code_paths(path, conf):
    code = conf.get("code")
    if code:
        code_path = os.path.join(path, code)
        if code_path not in sys.path:
            sys.path.insert(0, code_path)
    if path not in sys.path:
        sys.path.insert(0, path)


class MlflowModel:
    """A predict(inputs) over an MLflow flavor; inputs and outputs are dicts of numpy arrays."""

    def __init__(self, path, settings, allow_pickle):
        self.columns = settings.get("columns")  # input names when the signature is column-based
        self.output_names = settings.get("output_names") or ["predictions"]
        flavor = settings["flavor"]
        conf = settings["conf"]
        _add_code_paths(path, conf)
        if flavor == "sklearn":
            self._model = _unpickle(os.path.join(path, conf["pickled_model"]), allow_pickle)
            self._call = lambda frame: self._model.predict(frame)
        elif conf.get("python_model"):
            self._model = _unpickle(os.path.join(path, conf["python_model"]), allow_pickle)
            artifacts = {name: os.path.join(path, entry["path"]) for name, entry in (conf.get("artifacts") or {}).items()}
            context = _Context(artifacts, conf.get("model_config") or {})
            if callable(getattr(self._model, "load_context", None)):
                self._model.load_context(context)
            takes_params = "params" in inspect.signature(self._model.predict).parameters
            self._call = (lambda frame: self._model.predict(context, frame, params=None)) if takes_params else (lambda frame: self._model.predict(context, frame))
        elif conf.get("loader_module"):
            module = importlib.import_module(conf["loader_module"])
            data = os.path.join(path, conf["data"]) if conf.get("data") else path
            self._model = module._load_pyfunc(data)
            self._call = lambda frame: self._model.predict(frame)
        else:
            raise ValueError("python_function flavor names neither loader_module nor python_model")

    def predict(self, inputs):
        return self._outputs(self._call(self._frame(inputs)))

    def _frame(self, inputs):
        if self.columns is None:
            # Tensor-based signature: one array, or a dict of them.
            return next(iter(inputs.values())) if len(inputs) == 1 else inputs
        columns = {}
        for name in self.columns:
            column = inputs[name]
            column = column.reshape(column.shape[0]) if column.ndim == 2 and column.shape[1] == 1 else column
            if column.dtype == object:
                column = np.array([v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in column], dtype=object)
            columns[name] = column
        if pandas is not None:
            return pandas.DataFrame(columns, columns=list(self.columns))
        return np.column_stack([columns[c] for c in self.columns]) if all(c.dtype != object for c in columns.values()) else columns

    def _outputs(self, result):
        if pandas is not None and isinstance(result, pandas.DataFrame):
            return {str(c): result[c].to_numpy() for c in result.columns}
        if pandas is not None and isinstance(result, pandas.Series):
            return {self.output_names[0]: result.to_numpy()}
        if isinstance(result, dict):
            return {str(k): np.asarray(v) for k, v in result.items()}
        return {self.output_names[0]: np.asarray(result)}

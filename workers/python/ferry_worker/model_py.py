"""Loads a version folder's model.py: the class named Model, or the one class there with load() and predict()."""
import importlib.util
import inspect
import os
import sys


def load_model_py(path):
    source = os.path.join(path, "model.py")
    if path not in sys.path:
        sys.path.insert(0, path)  # model.py may import modules beside it
    spec = importlib.util.spec_from_file_location("ferry_user_model", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ferry_user_model"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, "Model", None)
    if not inspect.isclass(cls):
        candidates = [
            c for _, c in inspect.getmembers(module, inspect.isclass)
            if c.__module__ == module.__name__ and (callable(getattr(c, "predict", None)) or callable(getattr(c, "predict_batch", None)))
        ]
        if len(candidates) != 1:
            names = ", ".join(c.__name__ for c in candidates) or "none"
            raise TypeError(f"model.py must define a class named Model, or exactly one class with predict() or predict_batch() (found: {names})")
        cls = candidates[0]
    model = cls()
    if callable(getattr(model, "load", None)):
        model.load(path)
    return model

"""export(): a fitted estimator to a ferry-sklearn document (a dict), optionally written as JSON."""

import json
import os

import numpy as np
import sklearn

from ._errors import UnsupportedEstimatorError
from ._features import input_kinds, resolve_feature_names
from ._registry import node

FORMAT = "ferry-sklearn"
FORMAT_VERSION = 1
EXPORTER_VERSION = "0.1.0"


def to_document(estimator, feature_names=None):
    """The ferry-sklearn document (a dict) of a fitted estimator; see export()."""
    width = getattr(estimator, "n_features_in_", None)
    if width is None:
        raise UnsupportedEstimatorError(estimator, "it has no n_features_in_ (is it fitted, on a 2-D array?)")
    names = resolve_feature_names(estimator, feature_names, int(width))
    if len(set(names)) != len(names):
        raise ValueError("feature names must be unique")
    kinds = input_kinds(estimator, int(width))
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "producer": {"name": "ferry_sklearn", "version": EXPORTER_VERSION, "sklearn_version": sklearn.__version__, "numpy_version": np.__version__},
        "features": [{"name": n, "kind": k} for n, k in zip(names, kinds)],
        "estimator": node(estimator),
    }


def export(estimator, feature_names=None, path=None):
    """Export a fitted estimator. Returns the document; writes it to `path` as JSON when given.

    Reads fitted attributes only; never pickles. Raises UnsupportedEstimatorError naming any estimator
    (or setting) the format cannot represent.
    """
    document = to_document(estimator, feature_names)
    if path is not None:
        # A Ferry version folder (models/churn/1/model.json) usually does not exist yet: make it.
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(document, out, separators=(",", ":"), allow_nan=False)
            out.write("\n")
    return document

"""Exporters for Pipeline and ColumnTransformer; they recurse through `node` from _registry."""

import numpy as np

from ._errors import UnsupportedEstimatorError
from ._json import real


def pipeline(est, node):
    steps = [node(step) for _, step in est.steps if step is not None and not (isinstance(step, str) and step == "passthrough")]
    return {"steps": steps}


def _column_indices(ct, name, columns):
    resolved = getattr(ct, "_transformer_to_input_indices", {}).get(name)
    if resolved is not None:
        return [int(i) for i in resolved]
    n = ct.n_features_in_
    if isinstance(columns, slice):
        return list(range(n))[columns]
    array = np.atleast_1d(np.asarray(columns))
    if array.dtype.kind == "b":
        return [int(i) for i in np.flatnonzero(array)]
    if array.dtype.kind in ("i", "u"):
        return [int(i) % n for i in array]
    names = list(getattr(ct, "feature_names_in_", []))
    if array.dtype.kind in ("U", "O") and names:
        return [names.index(c) for c in array]
    raise UnsupportedEstimatorError(ct, f"column selection {columns!r} of transformer {name!r}")


def column_transformer(est, node):
    weights = est.transformer_weights or {}
    transformers = []
    for name, trans, columns in est.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        indices = _column_indices(est, name, columns)
        if not indices:
            continue  # sklearn leaves empty selections out of the output
        entry = {"name": str(name), "columns": indices}
        entry["estimator"] = "passthrough" if isinstance(trans, str) and trans == "passthrough" else node(trans)
        if name in weights:
            entry["weight"] = real(weights[name])
        transformers.append(entry)
    return {"transformers": transformers}

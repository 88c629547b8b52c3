"""Exporters for the supported transformers: scalers, imputers, encoders, polynomial features, PCA."""

import numpy as np

from ._errors import UnsupportedEstimatorError
from ._json import categories, category, ints, is_missing, is_string_array, real, reals


def standard_scaler(est):
    n = est.n_features_in_
    mean = est.mean_ if est.with_mean and est.mean_ is not None else np.zeros(n)
    scale = est.scale_ if est.with_std and est.scale_ is not None else np.ones(n)
    return {"mean": reals(mean), "scale": reals(scale)}


def min_max_scaler(est):
    low, high = est.feature_range
    return {"scale": reals(est.scale_), "min": reals(est.min_), "clip": bool(est.clip), "feature_range": [real(low), real(high)]}


def robust_scaler(est):
    n = est.n_features_in_
    center = est.center_ if est.with_centering and est.center_ is not None else np.zeros(n)
    scale = est.scale_ if est.with_scaling and est.scale_ is not None else np.ones(n)
    return {"center": reals(center), "scale": reals(scale)}


def max_abs_scaler(est):
    return {"scale": reals(est.scale_)}


def normalizer(est):
    return {"norm": est.norm, "n_features": int(est.n_features_in_)}


def simple_imputer(est):
    if est.strategy not in ("mean", "median", "most_frequent", "constant"):
        raise UnsupportedEstimatorError(est, f"strategy={est.strategy!r}")
    stats = est.statistics_
    keep_empty = bool(getattr(est, "keep_empty_features", False))
    if is_string_array(stats):
        statistics = [category(v) for v in stats]
        # A column whose statistic is missing (never observed) is dropped unless keep_empty_features.
        kept = [i for i, v in enumerate(stats) if keep_empty or not is_missing(v)]
    else:
        floats = np.asarray(stats, dtype=np.float64)
        statistics = [real(v) for v in floats]
        kept = [i for i, v in enumerate(floats) if keep_empty or not np.isnan(v)]
    indicator = []
    if est.add_indicator and est.indicator_ is not None:
        if est.indicator_.features != "missing-only" and est.indicator_.features != "all":
            raise UnsupportedEstimatorError(est, "indicator features setting")
        indicator = ints(est.indicator_.features_)
    missing = est.missing_values
    return {
        "missing_values": None if is_missing(missing) else category(missing),
        "statistics": statistics,
        "columns": kept,
        "indicator_columns": indicator,
    }


def _probe_matrix(est, row_categories):
    """A matrix whose column i cycles through row_categories[i]; dtype follows the categories."""
    rows = max(len(c) for c in row_categories)
    numeric = not any(is_string_array(c) for c in row_categories)
    X = np.empty((rows, len(row_categories)), dtype=np.float64 if numeric else object)
    for i, cats in enumerate(row_categories):
        for r in range(rows):
            X[r, i] = cats[r % len(cats)]
    return X


def one_hot_encoder(est):
    """Category -> output column mapping, read off the encoder's own transform (robust to drop/infrequent)."""
    n = len(est.categories_)
    inputs = list(getattr(est, "feature_names_in_", [f"ferry{i}" for i in range(n)]))
    names = list(est.get_feature_names_out(inputs))
    owner = _block_owners(inputs, names)
    X = _probe_matrix(est, est.categories_)
    out = est.transform(X)
    out = out.toarray() if hasattr(out, "toarray") else np.asarray(out)
    infrequent = getattr(est, "infrequent_categories_", [None] * n)
    features = []
    for i, cats in enumerate(est.categories_):
        block = [c for c in range(len(names)) if owner[c] == i]
        columns = []
        for r in range(len(cats)):
            hot = [c for c in block if out[r, c] == 1.0]
            columns.append(hot[0] if hot else -1)
        infrequent_column = None
        if est.handle_unknown == "infrequent_if_exist" and infrequent[i] is not None and len(infrequent[i]) > 0:
            position = [k for k, v in enumerate(cats) if _same(v, infrequent[i][0])][0]
            infrequent_column = columns[position] if columns[position] >= 0 else None
        features.append({"categories": categories(cats), "columns": columns, "infrequent_column": infrequent_column})
    return {"handle_unknown": "error" if est.handle_unknown == "error" else "ignore", "width": len(names), "features": features}


def _block_owners(inputs, names):
    """Which input feature each output column belongs to: outputs come in per-feature blocks `<input>_<cat>`."""
    owner, feature = [], 0
    for name in names:
        while not str(name).startswith(f"{inputs[feature]}_"):
            feature += 1
        owner.append(feature)
    return owner


def ordinal_encoder(est):
    X = _probe_matrix(est, est.categories_)
    out = np.asarray(est.transform(X), dtype=np.float64)
    features = []
    for i, cats in enumerate(est.categories_):
        features.append({"categories": categories(cats), "codes": [real(out[r, i]) for r in range(len(cats))]})
    if est.handle_unknown == "use_encoded_value":
        unknown = {"handle_unknown": "use_encoded_value", "unknown_value": real(est.unknown_value)}
    else:
        unknown = {"handle_unknown": "error"}
    return {**unknown, "features": features}


def _same(a, b):
    return (is_missing(a) and is_missing(b)) or (not is_missing(a) and not is_missing(b) and a == b)


def polynomial_features(est):
    return {"powers": [ints(row) for row in est.powers_]}


def pca(est):
    node = {"mean": reals(est.mean_), "components": reals(est.components_), "whiten": bool(est.whiten)}
    if est.whiten:
        node["explained_variance"] = reals(est.explained_variance_)
    return node

"""Exporters for tree models: single trees, forests, gradient boosting and histogram gradient boosting."""

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor

from ._errors import UnsupportedEstimatorError
from ._json import bools, ints, labels, real, reals


def _tree(tree, classifier):
    """A fitted sklearn Tree as parallel node arrays; classifier leaves hold class probabilities."""
    if tree.n_outputs != 1:
        raise UnsupportedEstimatorError("multi-output tree")
    value = np.asarray(tree.value[:, 0, :], dtype=np.float64)
    node = {
        "left": ints(tree.children_left),
        "right": ints(tree.children_right),
        "feature": [max(int(f), 0) for f in tree.feature],
        "threshold": reals(tree.threshold),
    }
    if classifier:
        # As DecisionTreeClassifier.predict_proba: leaf counts (or fractions) normalised to sum to one.
        normalizer = value.sum(axis=1)[:, np.newaxis]
        normalizer[normalizer == 0.0] = 1.0
        node["value"] = reals(value / normalizer)
    else:
        node["value"] = reals(value[:, 0])
    missing_left = getattr(tree, "missing_go_to_left", None)
    if missing_left is not None:
        node["missing_left"] = bools(missing_left)
    return node


def decision_tree_classifier(est):
    return {"classes": labels(est.classes_), "tree": _tree(est.tree_, True)}


def decision_tree_regressor(est):
    return {"tree": _tree(est.tree_, False)}


def forest_classifier(est):
    return {"classes": labels(est.classes_), "trees": [_tree(t.tree_, True) for t in est.estimators_]}


def forest_regressor(est):
    return {"trees": [_tree(t.tree_, False) for t in est.estimators_]}


def _stage_sum(est, x0):
    """Sum over stages of learning_rate * tree(x0), column k per tree of a stage, in sklearn's order."""
    total = np.zeros(est.estimators_.shape[1])
    for stage in est.estimators_:
        for k, tree in enumerate(stage):
            total[k] += est.learning_rate * tree.predict(x0)[0]
    return total


def _check_init(est):
    init = est.init_
    if not (isinstance(init, str) and init == "zero") and not isinstance(init, (DummyClassifier, DummyRegressor)):
        raise UnsupportedEstimatorError(est, f"init estimator {type(init).__name__} (only the default or 'zero')")


def _init_raw(est, public_raw):
    """The constant initial raw prediction. sklearn's own (private) _raw_predict_init is exact; when a version
    lacks it, the public decision minus the stages is equal within rounding."""
    x0 = np.zeros((1, est.n_features_in_), dtype=np.float32)
    raw_predict_init = getattr(est, "_raw_predict_init", None)
    if raw_predict_init is not None:
        return np.ravel(raw_predict_init(x0)).astype(np.float64)
    return np.atleast_1d(np.ravel(public_raw(x0))) - _stage_sum(est, x0)


def gradient_boosting_regressor(est):
    _check_init(est)
    init = _init_raw(est, est.predict)[0]
    trees = [[_tree(t.tree_, False) for t in stage] for stage in est.estimators_]
    return {"learning_rate": real(est.learning_rate), "init": [real(init)], "trees": trees}


def gradient_boosting_classifier(est):
    _check_init(est)
    if est.loss not in ("log_loss", "deviance", "exponential"):
        raise UnsupportedEstimatorError(est, f"loss={est.loss!r}")
    init = _init_raw(est, est.decision_function)
    n_classes = len(est.classes_)
    link = "softmax" if n_classes > 2 else ("exponential" if est.loss == "exponential" else "logistic")
    trees = [[_tree(t.tree_, False) for t in stage] for stage in est.estimators_]
    return {
        "classes": labels(est.classes_),
        "learning_rate": real(est.learning_rate),
        "init": reals(init),
        "link": link,
        "trees": trees,
    }


def _bitset_values(bitset):
    """The set bits of a 256-bit bitset stored as 8 uint32 words."""
    words = np.asarray(bitset, dtype=np.uint64)
    return [i for i in range(256) if (int(words[i // 32]) >> (i % 32)) & 1]


def _hgb_tree(predictor):
    nodes = predictor.nodes
    left_categories = []
    for node in nodes:
        if node["is_leaf"] or not node["is_categorical"]:
            left_categories.append(None)
        else:
            left_categories.append(_bitset_values(predictor.raw_left_cat_bitsets[node["bitset_idx"]]))
    return {
        "leaf": bools(nodes["is_leaf"]),
        "feature": ints(nodes["feature_idx"]),
        "threshold": reals(nodes["num_threshold"]),
        "missing_left": bools(nodes["missing_go_to_left"]),
        "left": ints(nodes["left"]),
        "right": ints(nodes["right"]),
        "value": reals(nodes["value"]),
        "categories_left": left_categories,
    }


def _hgb(est):
    if getattr(est, "_preprocessor", None) is not None:
        raise UnsupportedEstimatorError(est, "categorical_features='from_dtype' (encode categories before the model)")
    known = []
    if est.is_categorical_ is not None and np.any(est.is_categorical_):
        bitsets, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
        for feature in np.flatnonzero(est.is_categorical_):
            known.append({"feature": int(feature), "categories": _bitset_values(bitsets[f_idx_map[feature]])})
    return {
        "baseline": reals(np.ravel(est._baseline_prediction)),
        "known_categories": known,
        "trees": [[_hgb_tree(p) for p in iteration] for iteration in est._predictors],
    }


HGB_REGRESSION_LINKS = {"squared_error": "identity", "absolute_error": "identity", "quantile": "identity", "poisson": "exp", "gamma": "exp"}


def hist_gradient_boosting_regressor(est):
    link = HGB_REGRESSION_LINKS.get(est.loss)
    if link is None:
        raise UnsupportedEstimatorError(est, f"loss={est.loss!r}")
    return {**_hgb(est), "link": link}


def hist_gradient_boosting_classifier(est):
    link = "softmax" if len(est.classes_) > 2 else "logistic"
    return {**_hgb(est), "classes": labels(est.classes_), "link": link}

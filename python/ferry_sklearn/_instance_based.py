"""Exporters for k-nearest neighbours, Gaussian naive Bayes and k-means."""

import numpy as np

from ._errors import UnsupportedEstimatorError
from ._json import ints, labels, real, reals


def _neighbors(est):
    if callable(est.weights) or est.weights not in ("uniform", "distance"):
        raise UnsupportedEstimatorError(est, f"weights={est.weights!r}")
    metric = est.effective_metric_
    params = {k: v for k, v in (est.effective_metric_params_ or {}).items() if v is not None}
    if metric == "minkowski":
        if set(params) - {"p"}:
            raise UnsupportedEstimatorError(est, f"metric_params {sorted(params)}")
        p = float(params.get("p", est.p))
        metric, p = ("euclidean", 2.0) if p == 2 else ("manhattan", 1.0) if p == 1 else ("minkowski", p)
    elif metric in ("euclidean", "l2"):
        metric, p = "euclidean", 2.0
    elif metric in ("manhattan", "cityblock", "l1"):
        metric, p = "manhattan", 1.0
    else:
        raise UnsupportedEstimatorError(est, f"metric={metric!r}")
    # The training rows are the model: sklearn keeps them in _fit_X (no public attribute holds them).
    return {
        "n_neighbors": int(est.n_neighbors),
        "weights": est.weights,
        "metric": metric,
        "p": real(p),
        "fit_X": reals(np.asarray(est._fit_X, dtype=np.float64)),
    }


def k_neighbors_classifier(est):
    y = np.asarray(est._y)
    if y.ndim != 1:
        raise UnsupportedEstimatorError(est, "multi-output classification")
    return {**_neighbors(est), "classes": labels(est.classes_), "fit_y": ints(y)}


def k_neighbors_regressor(est):
    y = np.asarray(est._y, dtype=np.float64)
    if y.ndim != 1:
        raise UnsupportedEstimatorError(est, "multi-output regression")
    return {**_neighbors(est), "fit_y": reals(y)}


def gaussian_nb(est):
    var = getattr(est, "var_", None)
    if var is None:
        var = est.sigma_
    return {"classes": labels(est.classes_), "theta": reals(est.theta_), "var": reals(var), "class_prior": reals(est.class_prior_)}


def k_means(est):
    return {"cluster_centers": reals(est.cluster_centers_)}

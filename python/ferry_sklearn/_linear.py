"""Exporters for linear models: decision = X @ coef.T + intercept."""

import numpy as np

from ._errors import UnsupportedEstimatorError
from ._json import labels, real, reals


def linear_regressor(est):
    coef = np.asarray(est.coef_, dtype=np.float64)
    if coef.ndim == 2 and coef.shape[0] != 1:
        raise UnsupportedEstimatorError(est, "multi-target regression")
    intercept = np.ravel(np.asarray(est.intercept_, dtype=np.float64))
    return {"coef": reals(coef.ravel()), "intercept": real(intercept[0] if intercept.size else 0.0)}


def _classifier(est, proba):
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.ravel(np.asarray(est.intercept_, dtype=np.float64))
    if intercept.size == 1 and coef.shape[0] > 1:
        intercept = np.repeat(intercept, coef.shape[0])
    node = {"classes": labels(est.classes_), "coef": reals(coef), "intercept": reals(intercept)}
    if proba is not None:
        node["proba"] = proba
    return node


def logistic_regression(est):
    n_classes = len(est.classes_)
    # Same decision as LogisticRegression.predict_proba: one-vs-rest sigmoids or a softmax.
    multi = est.multi_class
    ovr = multi in ("ovr", "warn") or (multi == "auto" and (n_classes <= 2 or est.solver in ("liblinear", "newton-cholesky")))
    return _classifier(est, "ovr" if ovr else "softmax")


def sgd_classifier(est):
    loss = est.loss
    if loss in ("log_loss", "log"):
        return _classifier(est, "ovr")
    if loss == "modified_huber":
        return _classifier(est, "modified_huber")
    return _classifier(est, None)


def linear_svc(est):
    return _classifier(est, None)

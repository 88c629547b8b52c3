"""Which sklearn classes export to which ferry-sklearn node, and the recursive `node(estimator)`."""

from sklearn import cluster, compose, decomposition, ensemble, linear_model, naive_bayes, neighbors, pipeline, preprocessing, svm, tree
from sklearn.impute import SimpleImputer

from . import _compose, _instance_based, _linear, _preprocessing, _trees
from ._errors import NotFittedError, UnsupportedEstimatorError

# Exact classes only: a subclass may change behaviour that the format cannot see.
EXPORTERS = {
    preprocessing.StandardScaler: _preprocessing.standard_scaler,
    preprocessing.MinMaxScaler: _preprocessing.min_max_scaler,
    preprocessing.RobustScaler: _preprocessing.robust_scaler,
    preprocessing.MaxAbsScaler: _preprocessing.max_abs_scaler,
    preprocessing.Normalizer: _preprocessing.normalizer,
    SimpleImputer: _preprocessing.simple_imputer,
    preprocessing.OneHotEncoder: _preprocessing.one_hot_encoder,
    preprocessing.OrdinalEncoder: _preprocessing.ordinal_encoder,
    preprocessing.PolynomialFeatures: _preprocessing.polynomial_features,
    decomposition.PCA: _preprocessing.pca,
    linear_model.LogisticRegression: _linear.logistic_regression,
    linear_model.LinearRegression: _linear.linear_regressor,
    linear_model.Ridge: _linear.linear_regressor,
    linear_model.Lasso: _linear.linear_regressor,
    linear_model.ElasticNet: _linear.linear_regressor,
    linear_model.SGDRegressor: _linear.linear_regressor,
    linear_model.SGDClassifier: _linear.sgd_classifier,
    svm.LinearSVC: _linear.linear_svc,
    svm.LinearSVR: _linear.linear_regressor,
    tree.DecisionTreeClassifier: _trees.decision_tree_classifier,
    tree.DecisionTreeRegressor: _trees.decision_tree_regressor,
    ensemble.RandomForestClassifier: _trees.forest_classifier,
    ensemble.RandomForestRegressor: _trees.forest_regressor,
    ensemble.ExtraTreesClassifier: _trees.forest_classifier,
    ensemble.ExtraTreesRegressor: _trees.forest_regressor,
    ensemble.GradientBoostingClassifier: _trees.gradient_boosting_classifier,
    ensemble.GradientBoostingRegressor: _trees.gradient_boosting_regressor,
    ensemble.HistGradientBoostingClassifier: _trees.hist_gradient_boosting_classifier,
    ensemble.HistGradientBoostingRegressor: _trees.hist_gradient_boosting_regressor,
    neighbors.KNeighborsClassifier: _instance_based.k_neighbors_classifier,
    neighbors.KNeighborsRegressor: _instance_based.k_neighbors_regressor,
    naive_bayes.GaussianNB: _instance_based.gaussian_nb,
    cluster.KMeans: _instance_based.k_means,
}

COMPOSITES = {
    pipeline.Pipeline: _compose.pipeline,
    compose.ColumnTransformer: _compose.column_transformer,
}

SUPPORTED = sorted(cls.__name__ for cls in [*EXPORTERS, *COMPOSITES])


def node(est):
    """The ferry-sklearn JSON node of one fitted estimator: {"type": <class name>, ...its fitted state}."""
    cls = type(est)
    if cls in COMPOSITES:
        return {"type": cls.__name__, **COMPOSITES[cls](est, node)}
    exporter = EXPORTERS.get(cls)
    if exporter is None:
        raise UnsupportedEstimatorError(est, f"not a supported estimator (supported: {', '.join(SUPPORTED)})")
    _check_fitted(est)
    return {"type": cls.__name__, **exporter(est)}


def _check_fitted(est):
    if not any(name.endswith("_") and not name.startswith("__") for name in vars(est)):
        raise NotFittedError(f"{type(est).__name__} is not fitted; fit it before export")

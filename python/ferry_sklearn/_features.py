"""Names and kinds (numeric / categorical) of the model's input features.

A feature is categorical when its values are strings: that is when it reaches an encoder (OneHotEncoder,
OrdinalEncoder) or a SimpleImputer whose fitted categories / statistics are strings. Everything else is numeric.
"""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from ._json import is_string_array


def input_kinds(est, width):
    """One 'numeric' / 'categorical' per input column of `est`."""
    if isinstance(est, str):  # 'passthrough'
        return ["numeric"] * width
    if isinstance(est, Pipeline):
        steps = [s for _, s in est.steps if s is not None and not (isinstance(s, str) and s == "passthrough")]
        return input_kinds(steps[0], width) if steps else ["numeric"] * width
    if isinstance(est, ColumnTransformer):
        kinds = ["numeric"] * width
        from ._compose import _column_indices

        for name, trans, columns in est.transformers_:
            if isinstance(trans, str) and trans == "drop":
                continue
            indices = _column_indices(est, name, columns)
            for index, kind in zip(indices, input_kinds(trans, len(indices))):
                kinds[index] = kind
        return kinds
    if isinstance(est, (OneHotEncoder, OrdinalEncoder)):
        return ["categorical" if is_string_array(c) else "numeric" for c in est.categories_]
    if isinstance(est, SimpleImputer):
        if is_string_array(est.statistics_) or isinstance(est.missing_values, str):
            return ["categorical"] * width
        return ["numeric"] * width
    return ["numeric"] * width


def resolve_feature_names(est, given, width):
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    if given is not None:
        given = [str(n) for n in given]
        if len(given) != width:
            raise ValueError(f"feature_names has {len(given)} names, the estimator takes {width} features")
        return given
    return [f"x{i}" for i in range(width)]

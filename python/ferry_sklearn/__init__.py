"""ferry_sklearn: export fitted scikit-learn estimators to Ferry's portable JSON format (no pickle).

    import ferry_sklearn
    ferry_sklearn.export(fitted_pipeline, feature_names=["age", "city"], path="model.json")

See docs/formats/sklearn.md for the format and the supported estimators.
"""

from ._errors import NotFittedError, UnsupportedEstimatorError
from ._export import EXPORTER_VERSION as __version__
from ._export import FORMAT, FORMAT_VERSION, export, to_document
from ._registry import SUPPORTED

__all__ = ["export", "to_document", "UnsupportedEstimatorError", "NotFittedError", "SUPPORTED", "FORMAT", "FORMAT_VERSION", "__version__"]

class UnsupportedEstimatorError(TypeError):
    """Raised when an estimator (or one of its settings) has no ferry-sklearn representation."""

    def __init__(self, estimator, reason=None):
        name = type(estimator).__name__ if not isinstance(estimator, str) else estimator
        detail = f": {reason}" if reason else ""
        super().__init__(f"ferry_sklearn cannot export {name}{detail}")
        self.estimator_name = name


class NotFittedError(ValueError):
    """Raised when the estimator given to export() has not been fitted."""

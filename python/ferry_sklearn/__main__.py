"""A tiny CLI for demos. It never loads pickles: the model comes from Python code you name.

    python3 -m ferry_sklearn export mymodule:build_model --out model.json [--feature-names a,b,c]
        imports `mymodule`, calls build_model() (which returns a fitted estimator) and exports it.
    python3 -m ferry_sklearn demo --out model.json
        fits a small pipeline on synthetic data and exports it.
    python3 -m ferry_sklearn supported
"""

import argparse
import importlib
import sys

from ._errors import NotFittedError, UnsupportedEstimatorError
from ._export import export
from ._registry import SUPPORTED


def _demo():
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    n = 200
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.normal(40, 10, n)
    X[:, 1] = rng.normal(3, 1, n)
    X[:, 2] = rng.choice(["north", "south", "east"], n)
    y = ((X[:, 0].astype(float) > 40) ^ (X[:, 2] == "east")).astype(int)
    model = Pipeline([
        ("prep", ColumnTransformer([("num", StandardScaler(), [0, 1]), ("cat", OneHotEncoder(handle_unknown="ignore"), [2])])),
        ("clf", LogisticRegression()),
    ])
    return model.fit(X, y), ["age", "income", "region"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m ferry_sklearn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    exp = commands.add_parser("export", help="export the estimator returned by module:function")
    exp.add_argument("factory", help="module:function returning a fitted estimator")
    exp.add_argument("--out", required=True)
    exp.add_argument("--feature-names", help="comma-separated input feature names")
    demo = commands.add_parser("demo", help="fit and export a small demo pipeline")
    demo.add_argument("--out", required=True)
    commands.add_parser("supported", help="list the supported estimator classes")
    args = parser.parse_args(argv)

    try:
        if args.command == "supported":
            print("\n".join(SUPPORTED))
            return 0
        if args.command == "demo":
            model, names = _demo()
        else:
            module_name, _, function_name = args.factory.partition(":")
            if not function_name:
                parser.error("factory must look like module:function")
            model = getattr(importlib.import_module(module_name), function_name)()
            names = args.feature_names.split(",") if args.feature_names else None
        export(model, feature_names=names, path=args.out)
    except (UnsupportedEstimatorError, NotFittedError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

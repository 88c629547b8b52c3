"""Conversion of numpy values into the JSON values the ferry-sklearn format allows.

Numbers that JSON cannot carry (NaN, +-inf) are written as the strings "NaN", "Infinity", "-Infinity"
(the format's `real`). Category values are strings or numbers, and a missing category (NaN/None) is null.
"""

import math

import numpy as np


def real(value):
    """One float as a JSON `real`."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def reals(array):
    """A numeric array (any rank) as nested lists of `real`."""
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 0:
        return real(array)
    return [reals(item) for item in array] if array.ndim > 1 else [real(v) for v in array]


def ints(array):
    return [int(v) for v in np.asarray(array).ravel()]


def bools(array):
    return [bool(v) for v in np.asarray(array).ravel()]


def is_missing(value):
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return False


def category(value):
    """One category: str, int, float; missing (None / NaN) becomes null."""
    if is_missing(value):
        return None
    if isinstance(value, (str, np.str_)):
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else float(value)
    raise TypeError(f"category value {value!r} of type {type(value).__name__} is neither a string nor a number")


def categories(values):
    return [category(v) for v in values]


def is_string_array(values):
    """True when an array of categories holds strings (object/str dtype with at least one str)."""
    array = np.asarray(values)
    if array.dtype.kind in ("U", "S"):
        return True
    if array.dtype.kind == "O":
        return any(isinstance(v, (str, np.str_)) for v in array.ravel())
    return False


def labels(classes):
    """Class labels as a list of ints (integral numbers), floats or strings; never a mix."""
    array = np.asarray(classes)
    if array.dtype.kind in ("U", "S") or (array.dtype.kind == "O" and all(isinstance(v, str) for v in array)):
        return [str(v) for v in array]
    if array.dtype.kind in ("i", "u", "b"):
        return [int(v) for v in array]
    if array.dtype.kind == "f" and all(float(v).is_integer() for v in array):
        return [int(v) for v in array]
    if array.dtype.kind == "f":
        return [float(v) for v in array]
    raise TypeError(f"class labels of dtype {array.dtype} are neither numbers nor strings")

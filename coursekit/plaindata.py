"""Answers as plain data: what crosses from the learner's run to the run of the hidden tests.

Part of the learner toolkit because a learner's kernel uses it too: ``check("q1")``
(:mod:`coursekit.selfcheck`) sends the answer from the kernel to the course's tests exactly as the
graded check sends it from the sandboxed run (the platform's
:mod:`coursekit.platform.grading.values` is this module).

Grading by value: the learner's cells run in one sandboxed process; each answer the tests read is
written out with :func:`encode` as JSON-compatible data; the tests then run in a fresh process that
holds only :func:`decode`'s rebuilding of that data. An object whose comparisons always succeed, a
patched builtin or a redefined helper cannot cross: only its plain value does, so the tests judge
the value and nothing else. Nothing is ever pickled.

The format is tagged so that types survive the trip: a numpy ``int64`` comes back as ``int64`` (a
test asking ``isinstance(x, int)`` answers as it would have on the learner's object), a Series with
its index, name and dtype, a DataFrame with its columns and dtypes. Subclasses become their base
type (a ``str`` subclass is sent as the plain string).

:func:`encode` runs among learner code, so its output is no more trusted than any value the learner
could have typed; :func:`decode` accepts only the tags below and raises :class:`ValueError` on
anything else.
"""

from __future__ import annotations

import math
from typing import Any

#: Beyond this nesting a value is not plain data a test would read.
MAX_DEPTH = 8
#: Cells (items, rows x columns) in one answer: far above any exercise's answer, far below memory.
MAX_ITEMS = 2_000_000


class NotPlain(ValueError):
    """The value is not data the kit can carry to the tests (a function, a file, too deep...)."""


def _float(x: float) -> Any:
    if math.isnan(x):
        return {"t": "float", "v": "nan"}
    if math.isinf(x):
        return {"t": "float", "v": "inf" if x > 0 else "-inf"}
    return float(x)


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_ITEMS

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise NotPlain(f"the answer holds more than {MAX_ITEMS:,} values")


def encode(value: Any) -> Any:
    """``value`` as JSON-compatible, tagged data (raises :class:`NotPlain` for anything else)."""
    return _enc(value, 0, _Budget())


def _enc(v: Any, depth: int, budget: _Budget) -> Any:  # noqa: C901 (one branch per type, in order)
    if depth > MAX_DEPTH:
        raise NotPlain("the answer is nested too deeply")
    budget.take(1)
    import numpy as np
    import pandas as pd

    # Exact types first; subclasses are reduced to their base type's value.
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return {"t": "np.bool_", "v": bool(v)} if isinstance(v, np.bool_) else bool.__bool__(v) is True
    if isinstance(v, np.generic):
        dtype = v.dtype.str
        if isinstance(v, np.integer):
            return {"t": "np", "dtype": dtype, "v": int(v)}
        if isinstance(v, np.floating):
            return {"t": "np", "dtype": dtype, "v": _float(float(v))}
        if isinstance(v, np.str_):
            return {"t": "np", "dtype": dtype, "v": str.__str__(v)}
        raise NotPlain(f"a numpy {v.dtype} value")
    if isinstance(v, int):
        return {"t": "int", "v": str(int.__int__(v))} if abs(int.__int__(v)) > 2**53 else int.__int__(v)
    if isinstance(v, float):
        return _float(float.__float__(v))
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, (list, tuple)):
        items = list.__iter__(v) if isinstance(v, list) else tuple.__iter__(v)
        budget.take(len(v))
        return {"t": "list" if isinstance(v, list) else "tuple", "v": [_enc(x, depth + 1, budget) for x in items]}
    if isinstance(v, (set, frozenset)):
        budget.take(len(v))
        return {"t": "set" if isinstance(v, set) else "frozenset",
                "v": [_enc(x, depth + 1, budget) for x in set.__iter__(set(v))]}
    if isinstance(v, dict):
        budget.take(len(v))
        return {"t": "dict", "v": [[_enc(k, depth + 1, budget), _enc(x, depth + 1, budget)] for k, x in dict.items(v)]}
    if isinstance(v, pd.Index):
        return _enc_index(v, depth, budget)
    if isinstance(v, pd.Series):
        return {"t": "series", "name": _enc(v.name, depth + 1, budget), "index": _enc_index(v.index, depth, budget),
                **_enc_column(v, depth, budget)}
    if isinstance(v, pd.DataFrame):
        budget.take(v.size)
        return {"t": "frame", "index": _enc_index(v.index, depth, budget),
                "columns": _enc_index(v.columns, depth, budget),
                "data": [_enc_column(v.iloc[:, i], depth, budget) for i in range(v.shape[1])]}
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biufUSO":
            raise NotPlain(f"a numpy array of {v.dtype}")
        budget.take(v.size)
        return {"t": "ndarray", "dtype": v.dtype.str, "shape": list(v.shape),
                "v": [_enc(x, depth + 1, budget) for x in v.ravel().tolist()]}
    if isinstance(v, (pd.Timestamp,)):
        return {"t": "timestamp", "v": v.isoformat()}
    if v is pd.NA:
        return {"t": "NA"}
    if v is pd.NaT:
        return {"t": "NaT"}
    raise NotPlain(f"a value of type {type(v).__name__}")


def _scalar_list(values, depth: int, budget: _Budget) -> list:
    budget.take(len(values))
    out = []
    for x in values:
        out.append(_enc(x, depth + 1, budget))
    return out


def _enc_column(s, depth: int, budget: _Budget) -> dict:
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {"dtype": "category", "categories": _scalar_list(list(dtype.categories), depth, budget),
                "ordered": bool(dtype.ordered), "v": _scalar_list(s.astype(object).tolist(), depth, budget)}
    if dtype.kind == "M":
        return {"dtype": str(dtype), "v": [None if pd.isna(x) else pd.Timestamp(x).isoformat() for x in s.tolist()]}
    return {"dtype": str(dtype), "v": _scalar_list(s.tolist(), depth, budget)}


def _enc_index(ix, depth: int, budget: _Budget) -> dict:
    import pandas as pd

    if isinstance(ix, pd.RangeIndex):
        return {"t": "range", "start": int(ix.start), "stop": int(ix.stop), "step": int(ix.step),
                "name": _enc(ix.name, depth + 1, budget)}
    if isinstance(ix, pd.MultiIndex):
        return {"t": "multi", "names": _scalar_list(list(ix.names), depth, budget),
                "v": _scalar_list([tuple(t) for t in ix.tolist()], depth, budget)}
    return {"t": "index", "name": _enc(ix.name, depth + 1, budget), **_enc_column(pd.Series(ix), depth, budget)}


# ---------------------------------------------------------------------------------------------

def decode(data: Any) -> Any:
    """Rebuild a value :func:`encode` wrote; raises :class:`ValueError` on anything it did not."""
    return _dec(data, 0)


def _dec(d: Any, depth: int) -> Any:  # noqa: C901
    if depth > MAX_DEPTH * 3:
        raise ValueError("answer data nested too deeply")
    if d is None or isinstance(d, (bool, int, float, str)) and type(d) in (bool, int, float, str):
        return d
    if not isinstance(d, dict) or "t" not in d:
        raise ValueError(f"not answer data: {type(d).__name__}")
    import numpy as np
    import pandas as pd

    t = d["t"]
    if t == "float":
        return float(d["v"])
    if t == "int":
        return int(d["v"])
    if t == "np.bool_":
        return np.bool_(bool(d["v"]))
    if t == "np":
        dtype = np.dtype(_dtype(d["dtype"], "biufU"))
        v = _dec(d["v"], depth + 1)
        return dtype.type(v)
    if t in ("list", "tuple", "set", "frozenset"):
        items = [_dec(x, depth + 1) for x in _list(d["v"])]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[t](items)
    if t == "dict":
        return {_dec(k, depth + 1): _dec(x, depth + 1) for k, x in _list(d["v"])}
    if t in ("range", "multi", "index"):
        return _dec_index(d, depth)
    if t == "series":
        index = _dec_index(d["index"], depth)
        return pd.Series(_dec_column(d, depth), index=index, name=_dec(d["name"], depth + 1))
    if t == "frame":
        index = _dec_index(d["index"], depth)
        columns = _dec_index(d["columns"], depth)
        cols = [_dec_column(c, depth) for c in _list(d["data"])]
        if len(cols) != len(columns):
            raise ValueError("answer data: a table's columns and data disagree")
        frame = pd.DataFrame({i: pd.Series(c, index=index) if len(c) == len(index) else c
                              for i, c in enumerate(cols)}, index=index)
        frame.columns = columns
        return frame
    if t == "ndarray":
        values = [_dec(x, depth + 1) for x in _list(d["v"])]
        return np.array(values, dtype=np.dtype(_dtype(d["dtype"], "biufUSO"))).reshape([int(n) for n in d["shape"]])
    if t == "timestamp":
        return pd.Timestamp(str(d["v"]))
    if t == "NA":
        return pd.NA
    if t == "NaT":
        return pd.NaT
    raise ValueError(f"answer data of unknown kind {t!r}")


def _list(x) -> list:
    if not isinstance(x, list):
        raise ValueError("answer data: a list was expected")
    return x


def _dtype(text: str, kinds: str) -> str:
    import numpy as np

    dtype = np.dtype(str(text))
    if dtype.kind not in kinds:
        raise ValueError(f"answer data: dtype {text!r} is not allowed here")
    return str(text)


def _dec_column(d: dict, depth: int):
    import pandas as pd

    values = [_dec(x, depth + 1) for x in _list(d["v"])]
    dtype = str(d.get("dtype", "object"))
    if dtype == "category":
        cats = [_dec(x, depth + 1) for x in _list(d["categories"])]
        return pd.Categorical(values, categories=cats, ordered=bool(d.get("ordered")))
    if dtype.startswith("datetime64"):
        return pd.array(pd.to_datetime(values), dtype=dtype)
    try:
        return pd.array(values, dtype=pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError):
        return pd.array(values, dtype=object)


def _dec_index(d: dict, depth: int):
    import pandas as pd

    if not isinstance(d, dict):
        raise ValueError("answer data: an index was expected")
    t = d.get("t")
    if t == "range":
        return pd.RangeIndex(int(d["start"]), int(d["stop"]), int(d["step"]), name=_dec(d["name"], depth + 1))
    if t == "multi":
        tuples = [_dec(x, depth + 1) for x in _list(d["v"])]
        names = [_dec(x, depth + 1) for x in _list(d["names"])]
        return pd.MultiIndex.from_tuples(tuples, names=names) if tuples else pd.MultiIndex.from_arrays(
            [[] for _ in names], names=names)
    if t == "index":
        return pd.Index(_dec_column(d, depth), name=_dec(d["name"], depth + 1))
    raise ValueError("answer data: an index was expected")

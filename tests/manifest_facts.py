"""Compare a dataset manifest's facts with the values recomputed from its CSV."""

import math

def same(a, b, path="facts"):
    """Manifest values equal recomputed ones: floats to the manifest's 4 decimals, the rest exactly."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert not isinstance(a, bool) and not isinstance(b, bool), f"{path}: {a!r} vs {b!r}"
        assert math.isclose(a, b, rel_tol=0, abs_tol=6e-5), f"{path}: manifest {a} vs recomputed {b}"
    else:
        assert a == b, f"{path}: manifest {a!r} vs recomputed {b!r}"

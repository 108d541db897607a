"""When the compiled loops (numba) are used, and loading them ahead of time.

Three loops of a pledge report over a whole civil service are compiled with numba: decoding the
gradebook's grade table from its pages and merging grades into the people x items arrays
(``nbgrader_adapter.grade_pages``), and summing each person's evidence (``reports.attainment_loop``). Each gives exactly what its numpy or SQL counterpart gives, which
stays in use for small inputs: loading compiled code takes about a second (the first run ever
also compiles it, and numba caches the result beside the module or in the user's cache folder).

COURSEKIT_COMPILED=1 uses them whatever the size and =0 never (the tests take both ways); they
are never used where numba is not installed or cannot load them.

This module imports nothing heavy, so the command line can start loading the loops in the
background (``warm_up``) before it imports pandas and the rest. Each loop's module says whether
it loaded (its ``ready()``).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

SETTING = "COURSEKIT_COMPILED"
#: A gradebook file at least this large is read with the compiled loops (about 150,000 grades).
WARM_BYTES = 40_000_000


def wanted(size: int, threshold: int) -> bool:
    """Use a compiled loop for an input of this size (rows, cells) given its threshold?"""
    setting = os.environ.get(SETTING, "")
    if setting == "0" or importlib.util.find_spec("numba") is None:
        return False
    return setting == "1" or size >= threshold


def warm_up(gradebooks, load) -> None:
    """Call ``load`` (which loads the compiled loops) in a background thread when a gradebook file
    is large enough to be read with them: the loading then overlaps the command's own start."""
    sizes = []
    for g in gradebooks:
        try:
            sizes.append(Path(str(g)).stat().st_size if "://" not in str(g) else 0)
        except OSError:
            sizes.append(0)
    if wanted(max(sizes, default=0), WARM_BYTES):
        threading.Thread(target=load, name="compiled-warm-up", daemon=True).start()

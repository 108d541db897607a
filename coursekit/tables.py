"""How tables look in the course's notebooks: left-aligned, wrapped, without row numbers.

JupyterLab right-aligns a DataFrame's cells and shows its row labels (0, 1, 2 ...) as a first
column. For a reader who is not a programmer those numbers look like data, and right-aligned text
is hard to read. :func:`to_html` shows a DataFrame without an unnamed whole-number index (a named
index, such as the groups of a ``groupby``, stays: it says what each row is), with every cell
left-aligned and long text wrapped instead of cut off. ``import coursekit`` registers it with
IPython (:func:`register`); outside IPython nothing changes.
"""

from __future__ import annotations

STYLE = ("<style>table.coursekit-table th, table.coursekit-table td {text-align: left; white-space: normal; "
         "vertical-align: top; max-width: 40em;} table.coursekit-table {margin-left: 0;}</style>")


def _row_numbers_only(df) -> bool:
    """True when the index only numbers the rows: one unnamed level of whole numbers."""
    index = df.index
    return index.nlevels == 1 and index.name is None and index.dtype.kind in "iu"


def to_html(df) -> str:
    """The HTML JupyterLab shows for ``df`` (pandas' own, with the display options it honours)."""
    import pandas as pd

    html = df.to_html(notebook=True, index=not _row_numbers_only(df), justify="left", border=0,
                      classes="coursekit-table",
                      max_rows=pd.get_option("display.max_rows"),
                      max_cols=pd.get_option("display.max_columns"),
                      show_dimensions=pd.get_option("display.show_dimensions"))
    return html + STYLE      # after pandas' own style, which right-aligns the header: this one wins


def register(shell=None) -> None:
    """Show DataFrames with :func:`to_html` in this IPython session (by name: pandas is not imported)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    html = shell.display_formatter.formatters["text/html"]
    for module in ("pandas", "pandas.core.frame"):   # DataFrame.__module__: "pandas" since pandas 3
        html.for_type_by_name(module, "DataFrame", to_html)

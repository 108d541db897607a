"""Tables in the course's notebooks: left-aligned, without row numbers, a named index kept."""

import pandas as pd
import pytest

from coursekit import tables


def test_row_numbers_are_left_out_and_a_named_index_is_kept():
    df = pd.DataFrame({"office": ["North", "South", "East"], "claims": [120, 80, 95]})
    html = tables.to_html(df)
    assert "<th>0</th>" not in html and "<td>North</td>" in html
    assert "<th>2</th>" not in tables.to_html(df[df.claims > 90])      # labels left after filtering too
    by_office = tables.to_html(df.set_index("office"))
    assert "<th>North</th>" in by_office                               # the index says what each row is
    assert "text-align: left" in html and html.index("coursekit-table") < html.rindex("<style>")


def test_pandas_display_options_still_hold():
    df = pd.DataFrame({"n": range(500)})
    with pd.option_context("display.max_rows", 10):
        assert tables.to_html(df).count("<tr>") < 20


def test_import_coursekit_in_ipython_shows_dataframes_this_way():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        tables.register(shell)
        data, _ = shell.display_formatter.format(pd.DataFrame({"a": [1, 2]}))
        assert "coursekit-table" in data["text/html"] and "<th>0</th>" not in data["text/html"]
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("frame", [pd.DataFrame(), pd.DataFrame({"a": [1]}, index=pd.MultiIndex.from_tuples([(1, 2)]))])
def test_empty_and_multiindex_frames_render(frame):
    assert "<table" in tables.to_html(frame)

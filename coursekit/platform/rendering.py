"""HTML from Jinja2 templates shipped with the package (``coursekit/platform/templates/``).

Every page and fragment the platform shows (a check result, a progress table, a pledge report)
is a template here; autoescaping is on, so learner text and names from files can never inject
markup.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("coursekit.platform", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,     # a misspelt variable fails loudly, never renders blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = lambda x: "-" if x is None else f"{x:g}"
    return env


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)

"""HTML from Jinja2 templates shipped with the package.

Each part of the kit keeps its templates in a ``templates/`` folder of its own package
(``coursekit/widgets/templates/`` for the learner toolkit's widgets,
``coursekit/platform/templates/`` for the platform's pages). Autoescaping is on, so text from
data files or learners can never inject markup, and a misspelt variable fails loudly.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def environment(package: str):
    """The Jinja2 environment of ``<package>/templates``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,     # a misspelt variable fails loudly, never renders blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = lambda x: "-" if x is None else f"{x:g}"
    env.filters["pct"] = lambda x: f"{x:.0%}"
    return env


def render(package: str, template: str, **context) -> str:
    """Render ``<package>/templates/<template>`` with ``context``."""
    return environment(package).get_template(template).render(**context)

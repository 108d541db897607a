"""The platform's HTML: templates in ``coursekit/platform/templates/`` (see :mod:`coursekit.templating`)."""

from __future__ import annotations

from coursekit import templating


def render(template: str, **context) -> str:
    """Render ``coursekit/platform/templates/<template>`` with ``context``."""
    return templating.render("coursekit.platform", template, **context)

"""Reading the course's YAML files (syllabus, framework, profiles, pledges) with one clear error."""

from __future__ import annotations

from pathlib import Path

import yaml

from coursekit.errors import UsageError

# libyaml's parser where PyYAML was built with it: the same safe loading, ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_mapping(path: Path) -> dict:
    """The YAML file at ``path``, which must hold a mapping at the top level."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise UsageError(f"{path}: file not found; run the command inside the course folder or set COURSEKIT_ROOT")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: is not a text file; save it as UTF-8 text")
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({exc.__class__.__name__}); fix the file and try again")
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping at the top level")
    return data

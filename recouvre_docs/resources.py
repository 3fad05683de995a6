"""Where the packaged data and templates are.

The templates live at the top of the repository (``templates/``), as DESIGN.md §7 chose. The wheel
carries them inside the package as ``recouvre_docs/templates`` (see pyproject.toml); a source checkout
or an editable install finds them beside the package. tests/test_packaging.py builds the wheel and
looks inside.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    return _PACKAGE / "data" / name


@lru_cache(maxsize=1)
def templates_root() -> Path:
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if (candidate / "shared").is_dir():
            return candidate
    raise FileNotFoundError(
        f"recouvre-docs templates not found (looked in {_PACKAGE / 'templates'} and {_PACKAGE.parent / 'templates'}); "
        "reinstall the package"
    )


def user_cache() -> Path | None:
    """This user's cache, for what a build makes that depends on no case (the stamp fonts' subsets):
    $RECOUVRE_CACHE_DIR, else $XDG_CACHE_HOME/recouvre-docs, else ~/.cache/recouvre-docs. None when
    there is no home folder: the case's own cache (out/.cache) is then used alone."""
    if os.environ.get("RECOUVRE_CACHE_DIR"):
        return Path(os.environ["RECOUVRE_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # a relative one is to be ignored (XDG Base Directory Specification)
        return Path(xdg) / "recouvre-docs"
    try:
        return Path.home() / ".cache" / "recouvre-docs"
    except (RuntimeError, KeyError):  # no home folder (a service account without one)
        return None

"""Where the packaged data and templates are.

The templates live at the top of the repository (``templates/``), as DESIGN.md §7 chose. The wheel
carries them inside the package as ``recouvre_docs/templates`` (see pyproject.toml); a source checkout
or an editable install finds them beside the package. tests/test_packaging.py builds the wheel and
looks inside.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")

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


def template_folders(lang: str, case_root: Path | None = None) -> list[Path]:
    """Where templates and the files they name are looked for, first first: the case folder's
    ``templates/<lang>/`` and ``templates/`` (a firm's), then the packaged ``<lang>/`` and ``shared/``."""
    dirs: list[Path] = []
    if case_root is not None:
        dirs += [case_root / "templates" / lang, case_root / "templates"]
    root = templates_root()
    dirs += [root / lang, root / "shared"]
    return [d for d in dirs if d.is_dir()]


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


def packed(data: bytes) -> dict[str, str]:
    """Bytes as a cache file stores them (read_cached, write_cached): base64, with their SHA-256."""
    return {"data": base64.b64encode(data).decode("ascii"), "sha256": hashlib.sha256(data).hexdigest()}


def unpacked(fields: dict[str, Any]) -> bytes:
    """The bytes packed() stored in ``fields``; ValueError if they are not those (cut short, edited)."""
    data = base64.b64decode(fields["data"], validate=True)
    if hashlib.sha256(data).hexdigest() != fields["sha256"]:
        raise ValueError("not the data stored")
    return data


def read_cached(name: str, folders: list[Path], parse: Callable[[dict[str, Any]], T]) -> T | None:
    """``parse`` of the JSON file ``name`` in the first of ``folders`` that holds one it accepts (it raises
    ValueError, TypeError or KeyError for one that is not what it stores: cut short, edited), or None.
    A folder that another user owns, or that others may write to, is not read: what it holds ends up
    in the bundles (the fonts of the stamps and of the exhibits)."""
    for folder in folders:
        try:
            if not _private(folder):
                continue
            return parse(json.loads((folder / name).read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return None


def _private(folder: Path) -> bool:
    if not hasattr(os, "getuid"):  # no owners to compare (Windows): the user's profile folder is theirs
        return True
    st = folder.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def replace_text(path: Path, text: str, encoding: str = "utf-8") -> bool:
    """Write ``text`` to ``path`` atomically: into a file of this process's own beside it, then renamed
    over it (two processes writing the same file each write their own, and one replaces the other).
    False, nothing left behind, where it cannot be written: every caller keeps a cache, whose loss
    only costs time."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding)
        os.replace(tmp, path)
        return True
    except (OSError, ValueError):  # ValueError: text the encoding cannot write
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False


def write_cached(name: str, fields: dict[str, Any], folders: list[Path]) -> None:
    """Store ``fields`` as the JSON file ``name`` in the first of ``folders`` that can be written,
    atomically (replace_text). An unwritable cache only costs time."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
        if replace_text(folder / name, json.dumps(fields)):
            return

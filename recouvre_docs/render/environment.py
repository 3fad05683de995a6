"""The Jinja environment: sandboxed, strict, autoescaped, with Babel filters.

Templates are looked up in the case folder's ``templates/<lang>/`` and ``templates/`` (a firm's
letterhead, per case), then the packaged ``templates/<lang>/`` and ``templates/shared/``. User data
(names, e-mail bodies) only ever enters as values of the context, escaped; the environment is
sandboxed because a case folder's templates come from outside.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .. import i18n
from ..errors import TemplateError
from ..resources import template_folders, templates_root


def template_dirs(lang: str, case_root: Path | None = None) -> list[Path]:
    return template_folders(lang, case_root)


def template_path(name: str, lang: str, case_root: Path | None = None) -> Path | None:
    """The file ``name`` is read from (the first of template_dirs that has it)."""
    for d in template_dirs(lang, case_root):
        if (d / name).is_file():
            return d / name
    return None


@lru_cache(maxsize=16)
def environment(lang: str, case_root: Path | None = None) -> jinja2.Environment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(lang, case_root)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value, fmt="long": i18n.format_date(value, lang, fmt)
    env.filters["money"] = lambda value, currency: i18n.format_money(value, currency, lang)
    env.filters["number"] = lambda value: i18n.format_number(value, lang)
    env.globals["t"] = lambda key, **values: i18n.text(lang, key, **values)
    env.globals["kind_label"] = lambda kind: i18n.kind_label(kind, lang)
    env.globals["exhibit_label"] = lambda n: i18n.exhibit_label(lang, n)
    env.globals["lang"] = lang
    return env


def render(name: str, context: dict[str, Any], lang: str, case_root: Path | None = None) -> str:
    env = environment(lang, case_root)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as err:
        raise TemplateError(
            f"template {name!r} not found for language {lang!r}",
            hint="Reinstall recouvre-docs, or add the template to the case folder's templates/ folder.",
        ) from err
    except jinja2.UndefinedError as err:
        raise TemplateError(
            f"template {name!r}: {err.message}",
            hint="A template uses a value that is not in its context: fix the template (or report a bug).",
        ) from err
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(
            f"template {err.filename or name}:{err.lineno}: {err.message}",
            path=err.filename,
            hint="Fix the template's syntax.",
        ) from err
    except jinja2.exceptions.SecurityError as err:
        raise TemplateError(f"template {name!r} tried an unsafe operation: {err}", hint="Fix the template.") from err

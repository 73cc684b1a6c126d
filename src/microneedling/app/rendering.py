"""Server-rendered pages: one Jinja2 environment (autoescape always on) and the base layout.

``render(request, "name.html", {...})`` fills a template that ``{% extends "base.html" %}``; the
context always holds ``actor`` (the logged-in account or None), ``csrf_token``, ``nav`` and
``csrf_field()``, which writes the hidden CSRF input every form must carry. Stored text is
escaped by Jinja2; nothing from the records is ever marked safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from microneedling import DISCLAIMER
from microneedling.app.clinic import Actor
from microneedling.app.permissions import Rule, allows
from microneedling.core import vocabulary

TEMPLATES = Path(__file__).parent / "templates"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class NavItem:
    """A link in the top bar, shown to the roles its rule allows."""

    label: str
    href: str
    rule: Rule
    order: int = 100


NAV: list[NavItem] = [NavItem("Patients", "/patients", "logged-in", 10)]


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden input holding the session's CSRF token (every form that posts needs it)."""
    token = context.get(CSRF_FIELD) or ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


def number(value: object, digits: int = 2) -> str:
    """A measurement for reading: ``0.1234`` -> ``0.12``; a missing or non-finite value -> "—"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def metric_value(value: object, metric: str, digits: int = 2) -> str:
    """A stored metric as its unit reads: a ``*_fraction`` shown in % is multiplied by 100."""
    percent = metric.endswith("_fraction") and vocabulary.unit(metric).startswith("%")
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(100.0 * value, 1)
    return number(value, digits)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csrf_field"] = csrf_field
    # the words people read (core.vocabulary): {{ zone | display("zone") }}, {{ m | metric_label }}
    env.filters["display"] = lambda key, kind: vocabulary.display(kind, key)
    env.filters["metric_label"] = vocabulary.metric_label
    env.filters["unit"] = vocabulary.unit
    env.filters["in_words"] = vocabulary.in_words
    env.filters["number"] = number
    env.filters["metric_value"] = metric_value
    env.globals["disclaimer"] = DISCLAIMER
    return env


def actor_of(request: Request) -> Actor | None:
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else None


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return sorted((n for n in NAV if allows(n.rule, actor.role)), key=lambda n: n.order)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """``template`` filled with ``context`` and the base layout's values, as an HTML response."""
    actor = actor_of(request)
    values: dict[str, Any] = {
        "request": request,
        "actor": actor,
        CSRF_FIELD: actor.csrf_token if actor else getattr(request.state, "login_csrf", None),
        "nav": nav_for(actor),
        "path": request.url.path,
    }
    values |= context or {}
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=headers)

"""The clinic web app: server-rendered pages and the JSON API ``/api/v1`` over ``services/``.

``create_app`` builds the FastAPI application; ``microneedling serve`` runs it with uvicorn.
See ``app/README.md`` for the helpers a page module uses.
"""

from __future__ import annotations

from microneedling.app.main import create_app

__all__ = ["create_app"]

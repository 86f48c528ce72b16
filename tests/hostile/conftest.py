"""Hostile-input tests reuse the SCIM fixtures: a tenant, an integration, an ASGI client."""

from __future__ import annotations

from tests.scim.conftest import scim  # noqa: F401  (pytest fixture, re-exported)

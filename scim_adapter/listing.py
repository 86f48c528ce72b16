"""List and search parameters (RFC 7644 §3.4.2, RFC 9865 cursors) and ListResponse bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.domain import filters as f
from backend.domain.errors import InvalidFilter
from backend.domain.models import Page
from backend.domain.queries import ListQuery
from scim_adapter.errors import invalid_value
from scim_adapter.projection import parse_list
from scim_adapter.schema import LIST_RESPONSE


@dataclass(frozen=True, slots=True)
class ListParams:
    query: ListQuery
    attributes: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def _int(raw: Any, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise invalid_value(f"{name} must be an integer")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise invalid_value(f"{name} must be an integer") from None


def parse_filter(text: Any) -> f.Filter | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        raise InvalidFilter("filter must be a string")
    try:
        return f.parse_filter(text)
    except f.FilterError as exc:
        raise InvalidFilter(f"invalid filter: {exc}") from None


def _names(raw: Any, name: str) -> list[str]:
    """``attributes`` / ``excludedAttributes``: a comma list or, in a .search body, an array."""
    if raw is not None and not isinstance(raw, str | list):
        raise invalid_value(f"{name} must be a string or a list of strings")
    return parse_list(raw)


def parse_params(params: dict[str, Any], max_page_size: int) -> ListParams:
    """Query-string or ``.search`` body parameters (keys compared case-insensitively)."""
    low = {str(k).lower(): v for k, v in params.items()}
    start = _int(low.get("startindex"), "startIndex")
    count = _int(low.get("count"), "count")
    if count is not None:
        count = max(0, min(count, max_page_size))
    order = low.get("sortorder")
    if order is not None and (not isinstance(order, str)
                              or order.lower() not in ("ascending", "descending")):
        raise invalid_value("sortOrder must be ascending or descending")
    sort_by = low.get("sortby")
    if sort_by is not None and not isinstance(sort_by, str):
        raise invalid_value("sortBy must be a string")
    cursor = low.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise invalid_value("cursor must be a string")
    query = ListQuery(filter=parse_filter(low.get("filter")), sort_by=sort_by or None,
                      descending=isinstance(order, str) and order.lower() == "descending",
                      start_index=max(1, start or 1), count=count, cursor=cursor)
    return ListParams(query, _names(low.get("attributes"), "attributes"),
                      _names(low.get("excludedattributes"), "excludedAttributes"))


def list_body(
    resources: list[dict[str, Any]], total: int, start_index: int,
    next_cursor: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [LIST_RESPONSE], "totalResults": total,
                            "startIndex": start_index, "itemsPerPage": len(resources)}
    if next_cursor:
        body["nextCursor"] = next_cursor
    body["Resources"] = resources
    return body


def page_body(page: Page[Any], resources: list[dict[str, Any]], query: ListQuery) -> dict[str, Any]:
    return list_body(resources, page.total, query.start_index, page.next_cursor)

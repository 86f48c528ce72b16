"""``attributes`` / ``excludedAttributes`` (RFC 7644 §3.9) applied to rendered resources."""

from __future__ import annotations

from typing import Any

from scim_adapter.schema import ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

_ALWAYS = {"id", "schemas"}
_CORE = (USER_SCHEMA.lower(), GROUP_SCHEMA.lower())


def parse_list(raw: str | list[str] | None) -> list[str]:
    if raw is None:
        return []
    parts = raw if isinstance(raw, list) else raw.split(",")
    return [p.strip() for p in parts if isinstance(p, str) and p.strip()]


def _split(name: str) -> tuple[str | None, str, str | None]:
    """-> (extension urn or None, attribute, sub-attribute), all lower-case."""
    low = name.lower()
    urn: str | None = None
    if low == ENTERPRISE_USER_SCHEMA.lower():
        return low, "", None
    if ":" in low:
        uri, _, rest = low.rpartition(":")
        if uri not in _CORE:
            urn = uri
        low = rest
    attr, _, sub = low.partition(".")
    return urn, attr, sub or None


def wants(attributes: list[str], name: str) -> bool:
    """Does ``attributes``/``excludedAttributes`` name top-level attribute ``name``?"""
    low = name.lower()
    return any(_split(a)[1] == low and _split(a)[0] is None for a in attributes)


def project(doc: dict[str, Any], attributes: list[str], excluded: list[str]) -> dict[str, Any]:
    if attributes:
        keep: dict[str, Any] = {}
        for key, value in doc.items():
            if key.lower() in _ALWAYS or key == "meta":
                keep[key] = value
        for raw in attributes:
            urn, attr, sub = _split(raw)
            _copy(doc, keep, urn, attr, sub)
        doc = {k: keep[k] for k in doc if k in keep}
    for raw in excluded:
        urn, attr, sub = _split(raw)
        if urn is None and attr in _ALWAYS:
            continue
        _drop(doc, urn, attr, sub)
    return doc


def _key(container: dict[str, Any], name: str) -> str | None:
    return next((k for k in container if k.lower() == name), None)


def _copy(src: dict[str, Any], dst: dict[str, Any], urn: str | None, attr: str,
          sub: str | None) -> None:
    if urn is not None:
        ext_key = _key(src, urn)
        if ext_key is None or not isinstance(src[ext_key], dict):
            return
        if not attr:
            dst[ext_key] = src[ext_key]
            return
        inner = dst.setdefault(ext_key, {})
        _copy(src[ext_key], inner, None, attr, sub)
        if not inner:
            dst.pop(ext_key)
        return
    key = _key(src, attr)
    if key is None:
        return
    value = src[key]
    if sub is None:
        dst[key] = value
    elif isinstance(value, dict):
        sub_key = _key(value, sub)
        if sub_key is not None:
            dst.setdefault(key, {})[sub_key] = value[sub_key]
    elif isinstance(value, list):
        dst[key] = [{k: v for k, v in e.items() if k.lower() == sub}
                    for e in value if isinstance(e, dict)]


def _drop(doc: dict[str, Any], urn: str | None, attr: str, sub: str | None) -> None:
    if urn is not None:
        ext_key = _key(doc, urn)
        if ext_key is None:
            return
        if not attr:
            doc.pop(ext_key)
        elif isinstance(doc[ext_key], dict):
            _drop(doc[ext_key], None, attr, sub)
        return
    key = _key(doc, attr)
    if key is None:
        return
    if sub is None:
        doc.pop(key)
    elif isinstance(doc[key], dict):
        sub_key = _key(doc[key], sub)
        if sub_key:
            doc[key].pop(sub_key)

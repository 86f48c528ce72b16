"""Text normalisation for case-insensitive identifiers."""

from __future__ import annotations

import re
import unicodedata

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def fold(value: str) -> str:
    """Compare form: NFKC then casefold, so look-alike spellings collide on purpose."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


def is_dns_label(value: str) -> bool:
    return bool(_DNS_LABEL.match(value))


def is_namespace(value: str) -> bool:
    return len(value) <= 255 and bool(_NAMESPACE.match(value))


def is_tenant_id(value: str) -> bool:
    return bool(_TENANT_ID.match(value))


def namespace_covers(binding_ns: str, target_ns: str) -> bool:
    """``prod`` covers ``prod`` and ``prod.eng``, never ``production``."""
    return target_ns == binding_ns or target_ns.startswith(binding_ns + ".")

"""Input limits for untrusted documents, in one place (the SCIM door applies them to bodies).

Body size limits live in :class:`backend.config.Settings` (``max_body_bytes``,
``bulk_max_payload_bytes``); filter limits in :mod:`backend.domain.filters`. Everything else a
hostile client could use to reach a database error or a deep recursion is bounded here, so that
it is answered with a 400 instead of a 500.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any, Final

from backend.domain.errors import InvalidValue

# A SCIM resource nests at most 4 levels (extension > manager > value); Bulk and PATCH wrap it
# in 3 more. 32 leaves room for custom extensions and stays far from Python's recursion limit.
MAX_JSON_DEPTH: Final = 32
# Any one string (value or key) in a body. Certificates (x509Certificates) are the longest
# legitimate values, a few KiB each.
MAX_STRING_LENGTH: Final = 16_384
MAX_KEY_LENGTH: Final = 512
# userName and externalId are identifiers: compared, indexed, shown in consoles. displayName
# is not bounded here (Entra allows 256 characters for a user's); Groups cap theirs at 255 in
# the service, where their uniqueness is checked.
MAX_IDENTIFIER_LENGTH: Final = 255

# Categories no string may hold anywhere: NUL (PostgreSQL text cannot store it) and lone
# surrogates (not encodable as UTF-8).
_NEVER = frozenset({"Cs"})
# Identifiers also refuse control characters and line/paragraph separators ...
_NOT_IN_IDENTIFIERS = frozenset({"Cc", "Cs", "Zl", "Zp"})
# ... and userName refuses invisible format characters too (zero-width space, bidi overrides),
# which would make two userNames look alike while folding to different values.
_NOT_IN_USER_NAME = _NOT_IN_IDENTIFIERS | {"Cf"}

IDENTIFIERS: Final = ("username", "displayname", "externalid")


class DocumentTooDeep(InvalidValue):
    """A JSON document nests deeper than :data:`MAX_JSON_DEPTH`."""


def _bad_char(value: str, categories: frozenset[str]) -> str | None:
    # Fast paths in C for the common case (every string of every body passes through here).
    if value.isascii():
        if categories is _NEVER:
            return "U+0000" if "\x00" in value else None
        if value.isprintable():  # printable ASCII holds no Cc, Cf, Zl or Zp character
            return None
    elif categories is _NEVER and "\x00" not in value:
        try:
            value.encode("utf-8")  # fails exactly on lone surrogates
            return None
        except UnicodeEncodeError:
            pass
    for ch in value:
        if ch == "\x00" or unicodedata.category(ch) in categories:
            return f"U+{ord(ch):04X}"
    return None


def check_text(value: str, where: str, *, limit: int = MAX_STRING_LENGTH) -> None:
    """Any string from a client: bounded, no NUL, no lone surrogate."""
    if len(value) > limit:
        raise InvalidValue(f"{where} is longer than {limit} characters", field=where)
    bad = _bad_char(value, _NEVER)
    if bad:
        raise InvalidValue(f"{where} contains a forbidden character ({bad})", field=where)


def _identifier_rules(name: str) -> tuple[int, frozenset[str]]:
    """(length limit, refused categories) for a lowercased identifier attribute name."""
    limit = MAX_STRING_LENGTH if name == "displayname" else MAX_IDENTIFIER_LENGTH
    return limit, _NOT_IN_USER_NAME if name == "username" else _NOT_IN_IDENTIFIERS


def check_identifier(value: str, name: str, where: str | None = None) -> None:
    """userName / displayName / externalId: short, printable, no invisible look-alikes."""
    where = where or name
    limit, categories = _identifier_rules(name.lower())
    check_text(value, where, limit=limit)
    bad = _bad_char(value, categories)
    if bad:
        raise InvalidValue(f"{where} contains a control or invisible character ({bad})",
                           field=where)


def _attr_name(key_or_path: str) -> str:
    """``urn:...:User:userName`` / ``members[value eq "x"].display`` -> last attribute name."""
    tail = key_or_path.rpartition("]")[2] or key_or_path.partition("[")[0]
    return tail.rpartition(":")[2].rpartition(".")[2].strip().lower()


def check_document(doc: Any, where: str = "body") -> None:
    """Walk a parsed JSON document: depth, string lengths, forbidden characters.

    Identifier attributes are recognised by key (``userName``, ``urn:...:userName``) and, in
    PATCH operations, by ``path`` (``{"path": "userName", "value": ...}``).
    """
    # Every body passes here, and the user service walks the profile again (so that GraphQL
    # and the CLI get the same rules): a quick pass that only answers "certainly valid" takes
    # the common case, and anything it doubts is walked again by the pass that names the place.
    if not _plainly_valid(doc):
        _check_precisely(doc, where)


@functools.lru_cache(maxsize=4096)
def _key_facts(key: str) -> tuple[str, str] | None:
    """(lowercased key, attribute name) for a printable ASCII key; None sends it to the
    precise walk. Bounded: keys come from clients, but the few an IdP sends repeat."""
    if not (key.isascii() and key.isprintable()):
        return None
    return key.lower(), _attr_name(key)


def _plain_identifier(value: str, name: str) -> bool:
    limit, categories = _identifier_rules(name)
    return len(value) <= limit and _bad_char(value, categories) is None


_UNSET: Final = object()


def _plainly_valid(doc: Any) -> bool:
    """True only if :func:`_check_precisely` would pass ``doc``; builds no path strings."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(node, str):
            if len(node) > MAX_STRING_LENGTH or _bad_char(node, _NEVER) is not None:
                return False
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, dict):
            path: Any = _UNSET
            value: Any = _UNSET
            for key, item in node.items():
                facts = _key_facts(key) if len(key) <= MAX_KEY_LENGTH else None
                if facts is None:
                    return False
                lower, name = facts
                if isinstance(item, str) and name in IDENTIFIERS \
                        and not _plain_identifier(item, name):
                    return False
                if lower == "path" and path is _UNSET:
                    path = item
                elif lower == "value" and value is _UNSET:
                    value = item
                stack.append((item, depth + 1))
            if isinstance(path, str) and isinstance(value, str):
                target = _attr_name(path)
                if target in IDENTIFIERS and not _plain_identifier(value, target):
                    return False
    return True


def _check_precisely(doc: Any, where: str) -> None:
    stack: list[tuple[Any, str, int]] = [(doc, where, 1)]
    while stack:
        node, at, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise DocumentTooDeep(f"{where} nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, str):
            check_text(node, at)
        elif isinstance(node, list):
            stack.extend((item, f"{at}[{i}]", depth + 1) for i, item in enumerate(node))
        elif isinstance(node, dict):
            _check_object(node, at)
            stack.extend((value, f"{at}.{key}", depth + 1) for key, value in node.items())


def _check_object(node: dict[str, Any], at: str) -> None:
    for key, value in node.items():
        check_text(key, f"a key in {at}", limit=MAX_KEY_LENGTH)
        if isinstance(value, str) and _attr_name(key) in IDENTIFIERS:
            check_identifier(value, _attr_name(key), key)
    path = next((v for k, v in node.items() if k.lower() == "path"), None)
    value = next((v for k, v in node.items() if k.lower() == "value"), None)
    if isinstance(path, str) and isinstance(value, str) and _attr_name(path) in IDENTIFIERS:
        check_identifier(value, _attr_name(path), path[:64])

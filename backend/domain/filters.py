"""SCIM filter (RFC 7644 §3.4.2.2) and PATCH path (RFC 7644 §3.5.2) parser.

A small hand-written recursive-descent parser with no dependencies: the input
is attacker-controlled (it arrives in a query string or a PATCH body), so the
parser bounds its work (:data:`MAX_FILTER_LENGTH`, :data:`MAX_DEPTH`,
:data:`MAX_LOGICAL_OPERATORS`) and every
problem surfaces as :class:`FilterError` (or its subclass
:class:`InvalidPathError` for PATCH paths), never as any other exception.

Grammar, as implemented (keywords are case-insensitive)::

    filter     = or-expr
    or-expr    = and-expr *( "or" and-expr )           ; left-associative
    and-expr   = unary *( "and" unary )                ; left-associative
    unary      = "not" "(" or-expr ")" / "(" or-expr ")" / attr-expr
    attr-expr  = attrPath "pr" / attrPath compareOp compValue
               / attrPath "[" or-expr "]"              ; value filter, not nested
               / attrPath "[" or-expr "]" "." ATTRNAME compareOp compValue  ; Entra, below
    attrPath   = [URI ":"] ATTRNAME ["." ATTRNAME]
    ATTRNAME   = [A-Za-z$] *[A-Za-z0-9_$-]
    compValue  = JSON string / JSON number / true / false / null / bare-value
    patch-path = attrPath / attrPath "[" or-expr "]" ["." ATTRNAME] / schema-URN

Decisions worth knowing:

* Whitespace (space, tab, CR, LF) is optional between tokens, but two words
  (names, keywords, bare values) need at least one whitespace character between
  them, so ``a pr and(b pr)`` and ``userName eq"x"`` are accepted.
* An attribute path is one run of ``[A-Za-z0-9_$.:-]``; if it contains ``:``,
  the URN is everything before the last ``:``.  Inside a filter a path always
  names an attribute.
* A keyword-looking word is an attribute name where the grammar expects one:
  ``not pr`` is "attribute ``not`` is present"; ``not`` is the logical operator
  only when ``(`` follows it (or something that cannot be an operator, which
  is then reported as a missing ``(``).
* Lenient (authentik): a comparison value without quotes is a *bare value*
  that runs until whitespace, ``)``, ``]`` or the end; it must not start with
  ``(`` or ``[``.  A bare ``true``/``false``/``null`` (any case) or a bare JSON
  number keeps its JSON meaning; anything else (``alice@example.com``,
  ``007``, ``12abc``) is a string.
* Lenient (Entra): ``emails[type eq "work"].value eq "x"`` (a sub-attribute
  after the brackets, then a comparison) is read as
  ``emails[type eq "work" and value eq "x"]``; RFC 7644's grammar has no such
  form, but Entra's matching attribute uses it.
* Numbers: no ``.``/exponent gives ``int``, otherwise a finite ``float``
  (``1e999`` is an error).  Strings use JSON escapes; raw control characters
  inside quotes are tolerated.
* Nesting depth: every ``(`` (including the one after ``not``) and every
  ``[`` is one level; more than :data:`MAX_DEPTH` levels is an error.
* At most :data:`MAX_LOGICAL_OPERATORS` ``and``/``or`` per filter.  ``and`` and
  ``or`` build left-deep trees, and the generated ``==``, ``hash()`` and
  ``repr()`` of frozen dataclasses (like any recursive evaluator) spend a few
  stack frames per level: a 4 KB chain of ~450 ``and`` would make them raise
  RecursionError in the caller.  200 keeps them far from the limit while
  4096 characters rarely fit more terms anyway.
* Error positions are 0-based character offsets into the original text.
* PATCH paths: a bare schema URN (e.g. the Enterprise User extension URN) is
  ``AttrPath(uri=<urn>, attr="", sub_attr=None)``, meaning "the whole extension
  object".  Without a schema registry this is a heuristic: the text is a bare
  URN if it is a known schema URN (the core User, Group and Enterprise User
  URNs plus ``schema_urns``), or if it starts with ``urn:``, has no ``.`` after
  its last ``:`` and the segment before that is a version such as ``2.0``
  (``urn:...:2.0:User``).  A path whose part before the last ``:`` is a known
  URN is always an attribute path.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, NoReturn, TypeAlias

__all__ = [
    "COMPARE_OPERATORS",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "MAX_LOGICAL_OPERATORS",
    "And",
    "AttrPath",
    "Compare",
    "Filter",
    "FilterError",
    "InvalidPathError",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "Value",
    "ValuePath",
    "parse_filter",
    "parse_patch_path",
    "render_filter",
    "render_patch_path",
    "render_path",
    "render_value",
]

MAX_FILTER_LENGTH: Final = 4096
MAX_DEPTH: Final = 32
MAX_LOGICAL_OPERATORS: Final = 200
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")

COMPARE_OPERATORS: Final = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_OPERATORS: Final = COMPARE_OPERATORS | {"pr"}
_OPERATOR_LIST: Final = "eq, ne, co, sw, ew, gt, ge, lt, le or pr"

# Schema URNs recognised as bare PATCH paths even without the version heuristic.
_KNOWN_SCHEMA_URNS: Final = frozenset(
    {
        "urn:ietf:params:scim:schemas:core:2.0:user",
        "urn:ietf:params:scim:schemas:core:2.0:group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
    }
)

_WHITESPACE: Final = frozenset(" \t\r\n")
# One "word": attribute paths (with URN and sub-attribute), keywords, operators.
_WORD_CHARS: Final = frozenset(string.ascii_letters + string.digits + "_$-.:")
_NAME_CHARS: Final = frozenset(string.ascii_letters + string.digits + "_$-")
_BARE_STOP: Final = _WHITESPACE | {")", "]"}
_NAME_RE: Final = re.compile(r"[A-Za-z$][A-Za-z0-9_$-]*")
_URI_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_$.-]*(?::[A-Za-z0-9_$.-]+)*")
_NUMBER_RE: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_VERSION_RE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)*")


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class AttrPath:
    """``[uri:]attr[.sub_attr]``; ``attr == ""`` only for a bare schema URN PATCH path."""

    uri: str | None
    attr: str
    sub_attr: str | None

    def key(self) -> str:
        """Lower-case dotted name without the URN, for case-insensitive lookups."""
        if self.sub_attr is None:
            return self.attr.lower()
        return f"{self.attr}.{self.sub_attr}".lower()


Value: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Compare:
    path: AttrPath
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Present:
    path: AttrPath


@dataclass(frozen=True, slots=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Not:
    expr: Filter


@dataclass(frozen=True, slots=True)
class ValuePath:
    """``path[filter]``; paths inside ``filter`` are relative to one element."""

    path: AttrPath
    filter: Filter


Filter: TypeAlias = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True, slots=True)
class PatchPath:
    """``attr``, ``attr[value_filter]`` or ``attr[value_filter].sub_attr``."""

    attr: AttrPath
    value_filter: Filter | None
    sub_attr: str | None


class FilterError(ValueError):
    """Malformed filter; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class InvalidPathError(FilterError):
    """Malformed PATCH path (maps to SCIM ``scimType: invalidPath``)."""


# ------------------------------------------------------------------------ parser


class _Parser:
    """Cursor over the input; one method per grammar rule."""

    __slots__ = ("_depth", "_error", "_operators", "_pos", "_text")

    def __init__(self, text: str, error: type[FilterError]) -> None:
        self._text = text
        self._pos = 0
        self._depth = 0
        self._operators = 0
        self._error = error

    # -- low-level helpers

    def fail(self, problem: str, expected: str | None = None, at: int | None = None) -> NoReturn:
        where = self._pos if at is None else at
        message = f"{problem} at position {where}"
        if expected:
            message += f"; expected {expected}"
        raise self._error(message, where)

    def unexpected(self, at: int | None = None) -> str:
        """Describe what sits at ``at`` for an error message."""
        where = self._pos if at is None else at
        if where >= len(self._text):
            return "unexpected end of input"
        snippet = self._text[where : self._word_end(where)] or self._text[where]
        if len(snippet) > 30:
            snippet = snippet[:30] + "..."
        return f"unexpected {snippet!r}"

    def peek(self) -> str:
        return self._text[self._pos] if self._pos < len(self._text) else ""

    def skip_ws(self) -> None:
        text, pos = self._text, self._pos
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        self._pos = pos

    def _word_end(self, start: int) -> int:
        end = start
        while end < len(self._text) and self._text[end] in _WORD_CHARS:
            end += 1
        return end

    def read_word(self) -> str:
        start = self._pos
        self._pos = self._word_end(start)
        return self._text[start : self._pos]

    def accept_keyword(self, keyword: str) -> bool:
        """Consume ``keyword`` (after optional whitespace) or leave the cursor alone."""
        saved = self._pos
        self.skip_ws()
        at = self._pos
        if self.read_word().lower() == keyword:
            self.count_operator(at)
            return True
        self._pos = saved
        return False

    def enter(self, at: int) -> None:
        # Bounds recursion so hostile input cannot reach RecursionError.
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH} levels", at=at)

    def count_operator(self, at: int) -> None:
        # Bounds the left-deep and/or chains (see the module docstring).
        self._operators += 1
        if self._operators > MAX_LOGICAL_OPERATORS:
            self.fail(f"more than {MAX_LOGICAL_OPERATORS} 'and'/'or' operators", at=at)

    def check_length(self, what: str) -> None:
        if len(self._text) > MAX_FILTER_LENGTH:
            self.fail(
                f"{what} is too long ({len(self._text)} characters)",
                f"at most {MAX_FILTER_LENGTH} characters",
                at=MAX_FILTER_LENGTH,
            )
        # NUL and lone surrogates cannot be stored or compared by PostgreSQL text: refuse them
        # here so that no filter reaches SQL with one.
        bad = _UNSTORABLE.search(self._text)
        if bad:
            self.fail(f"{what} contains a forbidden character U+{ord(bad.group()):04X}",
                      at=bad.start())

    def expect_end(self, expected: str) -> None:
        self.skip_ws()
        char = self.peek()
        if not char:
            return
        if char == ")":
            self.fail("unbalanced ')' with no matching '('", expected)
        if char == "]":
            self.fail("unbalanced ']' with no matching '['", expected)
        self.fail(self.unexpected(), expected)

    # -- filters

    def filter(self) -> Filter:
        self.check_length("filter")
        self.skip_ws()
        if not self.peek():
            self.fail("empty filter", "an attribute path, '(' or 'not'")
        result = self.or_expr(in_brackets=False)
        self.expect_end("'and', 'or' or end of filter")
        return result

    def or_expr(self, in_brackets: bool) -> Filter:
        # Loop, not recursion: long flat chains cost no stack.
        result = self.and_expr(in_brackets)
        while self.accept_keyword("or"):
            result = Or(result, self.and_expr(in_brackets))
        return result

    def and_expr(self, in_brackets: bool) -> Filter:
        result = self.unary(in_brackets)
        while self.accept_keyword("and"):
            result = And(result, self.unary(in_brackets))
        return result

    def unary(self, in_brackets: bool) -> Filter:
        self.skip_ws()
        if self.peek() == "(":
            return self.group(in_brackets)
        start = self._pos
        end = self._word_end(start)
        if self._text[start:end].lower() == "not" and self._is_logical_not(end):
            self._pos = end
            self.skip_ws()
            if self.peek() != "(":
                self.fail(self.unexpected(), "'(' after 'not'")
            return Not(self.group(in_brackets))
        return self.attr_expr(in_brackets)

    def _is_logical_not(self, end: int) -> bool:
        """``not`` followed by an operator or ``[`` is an attribute called "not"."""
        pos = end
        while pos < len(self._text) and self._text[pos] in _WHITESPACE:
            pos += 1
        if pos < len(self._text) and self._text[pos] == "[":
            return False
        return self._text[pos : self._word_end(pos)].lower() not in _OPERATORS

    def group(self, in_brackets: bool) -> Filter:
        return self.enclosed(")", in_brackets)

    def bracket(self) -> Filter:
        return self.enclosed("]", in_brackets=True)

    def enclosed(self, close: str, in_brackets: bool) -> Filter:
        """``( or-expr )`` or ``[ or-expr ]``; the cursor is on the opening character."""
        open_at = self._pos
        opener = self._text[open_at]
        self._pos += 1
        self.enter(open_at)
        inner = self.or_expr(in_brackets)
        self.skip_ws()
        if self.peek() != close:
            expected = f"'and', 'or' or '{close}' to close the '{opener}' at position {open_at}"
            self.fail(self.unexpected(), expected)
        self._pos += 1
        self._depth -= 1
        return inner

    def attr_expr(self, in_brackets: bool) -> Filter:
        path_at = self._pos
        path = self.attr_path()
        self.skip_ws()
        if self.peek() == "[":
            self.check_value_path(path, path_at, in_brackets)
            inner = self.bracket()
            sub = self.sub_attr_after_bracket()
            if sub is None:
                return ValuePath(path, inner)
            # Entra: emails[type eq "work"].value eq "x" means one element matching both.
            return ValuePath(path, And(inner, self.comparison(AttrPath(None, sub, None))))
        return self.comparison(path)

    def comparison(self, path: AttrPath) -> Filter:
        self.skip_ws()
        op_at = self._pos
        op = self.read_word()
        if not op:
            self.fail(self.unexpected(), f"an operator ({_OPERATOR_LIST}) after the attribute path")
        low = op.lower()
        if low == "pr":
            self.reject_value_after_pr()
            return Present(path)
        if low not in COMPARE_OPERATORS:
            self.fail(f"unknown operator {op!r}", f"one of {_OPERATOR_LIST}", at=op_at)
        return Compare(path, low, self.value(op))

    def reject_value_after_pr(self) -> None:
        # Only a clearer message: the caller would reject the quote anyway.
        saved = self._pos
        self.skip_ws()
        if self.peek() == '"':
            self.fail("'pr' takes no comparison value", "'and', 'or' or the end")
        self._pos = saved

    def check_value_path(self, path: AttrPath, path_at: int, in_brackets: bool) -> None:
        if in_brackets:
            self.fail("value filters cannot be nested ('[' inside '[...]')")
        if path.sub_attr is not None:
            self.fail(
                "a value filter '[...]' cannot follow a sub-attribute",
                "a top-level multi-valued attribute before '['",
                at=path_at,
            )

    # -- values

    def value(self, op: str) -> Value:
        self.skip_ws()
        char = self.peek()
        if char == '"':
            return self.string()
        if not char or char in ")]([":
            self.fail(
                f"missing comparison value after {op!r}",
                "a quoted string, a number, true, false or null",
            )
        start = self._pos
        while self._pos < len(self._text) and self._text[self._pos] not in _BARE_STOP:
            self._pos += 1
        return self.bare(self._text[start : self._pos], start)

    def string(self) -> str:
        start = self._pos
        text, pos = self._text, start + 1
        while pos < len(text) and text[pos] != '"':
            pos += 2 if text[pos] == "\\" else 1  # skip the escaped char, even a quote
        if pos >= len(text):
            self.fail("unterminated string", "a closing '\"'", at=start)
        try:
            # strict=False: tolerate raw tabs etc. inside quotes (lenient clients).
            decoded = json.loads(text[start : pos + 1], strict=False)
        except json.JSONDecodeError as exc:
            self.fail(f"invalid string literal ({exc.msg})", at=start + exc.pos)
        if not isinstance(decoded, str):  # cannot happen for "..."; keeps mypy honest
            self.fail("invalid string literal", at=start)
        self._pos = pos + 1
        return decoded

    def bare(self, token: str, at: int) -> Value:
        low = token.lower()
        if low == "true":
            return True
        if low == "false":
            return False
        if low == "null":
            return None
        if _NUMBER_RE.fullmatch(token):
            return self.number(token, at)
        return token  # authentik-style unquoted string

    def number(self, token: str, at: int) -> int | float:
        if any(c in token for c in ".eE"):
            result = float(token)  # cannot raise: the token matched _NUMBER_RE
            if not math.isfinite(result):
                self.fail(f"number {token!r} is out of range", at=at)
            return result
        try:
            return int(token)
        except ValueError:  # int digit limit; unreachable under MAX_FILTER_LENGTH
            self.fail(f"number {token!r} is out of range", at=at)

    # -- attribute paths

    def attr_path(self) -> AttrPath:
        start = self._pos
        word = self.read_word()
        if not word:
            self.fail(self.unexpected(start), "an attribute path", at=start)
        colon = word.rfind(":")
        if colon < 0:
            return self.name_path(None, word, start)
        uri = word[:colon]
        if not _URI_RE.fullmatch(uri):
            self.fail(f"malformed schema URN {uri!r}", "a URN such as urn:...:2.0:User", at=start)
        return self.name_path(uri, word[colon + 1 :], start + colon + 1)

    def name_path(self, uri: str | None, name: str, at: int) -> AttrPath:
        attr, dot, sub = name.partition(".")
        self.check_name(attr, at, "an attribute name")
        if not dot:
            return AttrPath(uri, attr, None)
        sub_at = at + len(attr) + 1
        if "." in sub:
            self.fail(
                f"too many '.' in attribute path {name!r}",
                "at most one sub-attribute",
                at=sub_at + sub.index("."),
            )
        self.check_name(sub, sub_at, "a sub-attribute name after '.'")
        return AttrPath(uri, attr, sub)

    def check_name(self, name: str, at: int, expected: str) -> None:
        if not _NAME_RE.fullmatch(name):
            problem = f"invalid name {name!r}" if name else self.unexpected(at)
            self.fail(problem, expected, at=at)

    # -- PATCH paths

    def patch_path(self, known_urns: frozenset[str]) -> PatchPath:
        self.check_length("path")
        self.skip_ws()
        if not self.peek():
            self.fail("empty path", "an attribute path")
        start = self._pos
        word = self._text[start : self._word_end(start)]
        if _is_bare_schema_urn(word, known_urns):
            self._pos = start + len(word)
            self.expect_end("end of path after a schema URN")
            return PatchPath(AttrPath(word, "", None), None, None)
        path = self.attr_path()
        value_filter: Filter | None = None
        sub_attr: str | None = None
        self.skip_ws()
        if self.peek() == "[":
            self.check_value_path(path, start, in_brackets=False)
            value_filter = self.bracket()
            sub_attr = self.sub_attr_after_bracket()
        self.expect_end("end of path")
        return PatchPath(path, value_filter, sub_attr)

    def sub_attr_after_bracket(self) -> str | None:
        if self.peek() != ".":
            return None
        self._pos += 1
        start = self._pos
        while self._pos < len(self._text) and self._text[self._pos] in _NAME_CHARS:
            self._pos += 1
        name = self._text[start : self._pos]
        self.check_name(name, start, "a sub-attribute name after '.'")
        return name


def _is_bare_schema_urn(word: str, known_urns: frozenset[str]) -> bool:
    low = word.lower()
    if low in known_urns:
        return True
    prefix, colon, name = low.rpartition(":")
    if not colon or prefix in known_urns or "." in name or not low.startswith("urn:"):
        return False
    # urn:...:<version>:<Resource> is a schema URN; urn:...:<Resource>:<attr> is not.
    return bool(_VERSION_RE.fullmatch(prefix.rpartition(":")[2]))


# ---------------------------------------------------------------------- public API


def parse_filter(text: str) -> Filter:
    """Parse a SCIM filter expression; raises :class:`FilterError` on any problem."""
    return _Parser(text, FilterError).filter()


def parse_patch_path(text: str, *, schema_urns: Collection[str] = ()) -> PatchPath:
    """Parse a PATCH ``path``; raises :class:`InvalidPathError` on any problem.

    ``schema_urns`` adds schema URNs (e.g. custom extensions without a version
    segment) that should be recognised as bare-URN paths.
    """
    known = _KNOWN_SCHEMA_URNS | {urn.lower() for urn in schema_urns}
    return _Parser(text, InvalidPathError).patch_path(known)


def render_path(path: AttrPath) -> str:
    """``[uri:]attr[.sub]`` (just the URN for a bare-URN path)."""
    name = path.attr if path.sub_attr is None else f"{path.attr}.{path.sub_attr}"
    if path.uri is None:
        return name
    return f"{path.uri}:{name}" if name else path.uri


def render_value(value: Value) -> str:
    """A JSON literal; strings are always quoted so they never read as keywords."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot render non-finite number {value!r} in a filter")
    return json.dumps(value, ensure_ascii=False)


def render_filter(f: Filter) -> str:
    """Canonical text with lowercase keywords; ``parse_filter`` of it gives ``f`` back.

    Parenthesises only where precedence or left-associativity requires it, and
    recurses once per level so left-deep chains from long filters stay cheap.
    """
    if isinstance(f, Compare):
        return f"{render_path(f.path)} {f.op} {render_value(f.value)}"
    if isinstance(f, Present):
        return f"{render_path(f.path)} pr"
    if isinstance(f, Not):
        return f"not ({render_filter(f.expr)})"
    if isinstance(f, ValuePath):
        return f"{render_path(f.path)}[{render_filter(f.filter)}]"
    if isinstance(f, And):
        left = render_filter(f.left)
        if isinstance(f.left, Or):
            left = f"({left})"
        right = render_filter(f.right)
        if isinstance(f.right, And | Or):
            right = f"({right})"
        return f"{left} and {right}"
    right = render_filter(f.right)
    if isinstance(f.right, Or):
        right = f"({right})"
    return f"{render_filter(f.left)} or {right}"


def render_patch_path(p: PatchPath) -> str:
    """Inverse of :func:`parse_patch_path`."""
    text = render_path(p.attr)
    if p.value_filter is not None:
        text += f"[{render_filter(p.value_filter)}]"
    if p.sub_attr is not None:
        text += f".{p.sub_attr}"
    return text

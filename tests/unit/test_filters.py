"""Tests for the SCIM filter and PATCH path parser (backend.domain.filters)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domain.filters import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_LOGICAL_OPERATORS,
    And,
    AttrPath,
    Compare,
    Filter,
    FilterError,
    InvalidPathError,
    Not,
    Or,
    PatchPath,
    Present,
    Value,
    ValuePath,
    parse_filter,
    parse_patch_path,
    render_filter,
    render_patch_path,
)

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def P(attr: str, sub: str | None = None, uri: str | None = None) -> AttrPath:
    return AttrPath(uri, attr, sub)


def eq(attr: str, value: Value, sub: str | None = None) -> Compare:
    return Compare(P(attr, sub), "eq", value)


# --------------------------------------------------------------- RFC 7644 examples

RFC_EXAMPLES: list[tuple[str, Filter]] = [
    ('userName eq "bjensen"', eq("userName", "bjensen")),
    ('name.familyName co "O\'Malley"', Compare(P("name", "familyName"), "co", "O'Malley")),
    ('userName sw "J"', Compare(P("userName"), "sw", "J")),
    (f'{CORE_USER}:userName sw "J"', Compare(P("userName", uri=CORE_USER), "sw", "J")),
    ("title pr", Present(P("title"))),
    *[
        (
            f'meta.lastModified {op} "2011-05-13T04:42:34Z"',
            Compare(P("meta", "lastModified"), op, "2011-05-13T04:42:34Z"),
        )
        for op in ("gt", "ge", "lt", "le")
    ],
    (
        'title pr and userType eq "Employee"',
        And(Present(P("title")), eq("userType", "Employee")),
    ),
    (
        'title pr or userType eq "Intern"',
        Or(Present(P("title")), eq("userType", "Intern")),
    ),
    (f'schemas eq "{ENTERPRISE}"', eq("schemas", ENTERPRISE)),
    (
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        And(
            eq("userType", "Employee"),
            Or(
                Compare(P("emails"), "co", "example.com"),
                Compare(P("emails", "value"), "co", "example.org"),
            ),
        ),
    ),
    (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        And(
            Compare(P("userType"), "ne", "Employee"),
            Not(
                Or(
                    Compare(P("emails"), "co", "example.com"),
                    Compare(P("emails", "value"), "co", "example.org"),
                )
            ),
        ),
    ),
    (
        'userType eq "Employee" and (emails.type eq "work")',
        And(eq("userType", "Employee"), eq("emails", "work", sub="type")),
    ),
    (
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        And(
            eq("userType", "Employee"),
            ValuePath(
                P("emails"),
                And(eq("type", "work"), Compare(P("value"), "co", "@example.com")),
            ),
        ),
    ),
    (
        'emails[type eq "work" and value co "@example.com"] or '
        'ims[type eq "xmpp" and value co "@foo.com"]',
        Or(
            ValuePath(
                P("emails"),
                And(eq("type", "work"), Compare(P("value"), "co", "@example.com")),
            ),
            ValuePath(
                P("ims"),
                And(eq("type", "xmpp"), Compare(P("value"), "co", "@foo.com")),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), RFC_EXAMPLES, ids=[t for t, _ in RFC_EXAMPLES])
def test_rfc_examples(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(("text", "expected"), RFC_EXAMPLES, ids=[t for t, _ in RFC_EXAMPLES])
def test_rfc_examples_render_round_trip(text: str, expected: Filter) -> None:
    assert parse_filter(render_filter(expected)) == expected


def test_render_is_canonical() -> None:
    text = 'userType NE "Employee" AND NOT(emails CO "example.com" OR emails.value co x)'
    assert render_filter(parse_filter(text)) == (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "x")'
    )


# ------------------------------------------------------------------- precedence


a, b, c = Present(P("a")), Present(P("b")), Present(P("c"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a pr or b pr and c pr", Or(a, And(b, c))),
        ("a pr and b pr or c pr", Or(And(a, b), c)),
        ("a pr and b pr and c pr", And(And(a, b), c)),
        ("a pr or b pr or c pr", Or(Or(a, b), c)),
        ("(a pr or b pr) and c pr", And(Or(a, b), c)),
        ("a pr and (b pr and c pr)", And(a, And(b, c))),
        ("not (a pr) and b pr", And(Not(a), b)),
        ("not (a pr) or not (b pr) and c pr", Or(Not(a), And(Not(b), c))),
        ("not (a pr or b pr)", Not(Or(a, b))),
        ("((a pr))", a),
        ("not (not (a pr))", Not(Not(a))),
    ],
)
def test_precedence_and_grouping(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


def test_render_parenthesises_only_where_needed() -> None:
    assert render_filter(Or(a, And(b, c))) == "a pr or b pr and c pr"
    assert render_filter(And(Or(a, b), c)) == "(a pr or b pr) and c pr"
    assert render_filter(And(a, And(b, c))) == "a pr and (b pr and c pr)"
    assert render_filter(Or(a, Or(b, c))) == "a pr or (b pr or c pr)"
    assert render_filter(And(And(a, b), c)) == "a pr and b pr and c pr"


# ----------------------------------------------------------- case-insensitivity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName EQ "x"', eq("userName", "x")),
        ('userName Eq "x"', eq("userName", "x")),
        ("title PR", Present(P("title"))),
        ("a pr AND b pr", And(a, b)),
        ("a pr Or b pr", Or(a, b)),
        ("Not (a pr)", Not(a)),
        ("NOT(a pr)", Not(a)),
        ('meta.created GE "2020"', Compare(P("meta", "created"), "ge", "2020")),
        ("active eq TRUE", eq("active", True)),
        ("active eq False", eq("active", False)),
        ("manager eq NULL", eq("manager", None)),
    ],
)
def test_keywords_are_case_insensitive(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


def test_attribute_case_is_preserved_and_key_is_lowercase() -> None:
    result = parse_filter('NAME.GivenName eq "x"')
    assert isinstance(result, Compare)
    assert result.path == P("NAME", "GivenName")
    assert result.path.key() == "name.givenname"
    assert P("userName", uri=CORE_USER).key() == "username"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not pr", Present(P("not"))),
        ('and eq "x"', eq("and", "x")),
        ("pr pr", Present(P("pr"))),
        ('or eq "x" or not pr', Or(eq("or", "x"), Present(P("not")))),
        ("not[type pr]", ValuePath(P("not"), Present(P("type")))),
        ('eq eq "eq"', eq("eq", "eq")),
    ],
)
def test_keyword_named_attributes(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


# -------------------------------------------------------------- paths and URNs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f'{ENTERPRISE}:employeeNumber eq "701984"',
            Compare(P("employeeNumber", uri=ENTERPRISE), "eq", "701984"),
        ),
        (
            f'{ENTERPRISE}:manager.value eq "26118915"',
            Compare(P("manager", "value", uri=ENTERPRISE), "eq", "26118915"),
        ),
        (
            f'{CORE_USER}:name.givenName eq "Barbara"',
            Compare(P("name", "givenName", uri=CORE_USER), "eq", "Barbara"),
        ),
        ('members.$ref eq "x"', eq("members", "x", sub="$ref")),
        ('x-custom_attr$ eq "y"', eq("x-custom_attr$", "y")),
        (
            f'{CORE_USER}:emails[type eq "work"]',
            ValuePath(P("emails", uri=CORE_USER), eq("type", "work")),
        ),
    ],
)
def test_attribute_paths(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


# ------------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("userName eq alice", "alice"),
        ("userName eq alice@example.com", "alice@example.com"),
        ("userName eq josé", "josé"),
        ("externalId eq 12abc", "12abc"),
        ("externalId eq 007", "007"),
        ("externalId eq 1.", "1."),
        ("externalId eq -", "-"),
        ('externalId eq a"b', 'a"b'),
        ("active eq true", True),
        ("active eq True", True),
        ("active eq false", False),
        ("manager eq null", None),
        ("age eq 42", 42),
        ("age eq -7", -7),
        ("age eq 0", 0),
        ("age eq 12345678901234567890", 12345678901234567890),
        ("score eq 3.25", 3.25),
        ("score eq -1.5e3", -1500.0),
        ("score eq 1E2", 100.0),
        ('userName eq "true"', "true"),
        ('userName eq "42"', "42"),
        ('userName eq ""', ""),
        ('userName eq "a\\"b"', 'a"b'),
        ('userName eq "\\u00e9"', "é"),
        ('userName eq "back\\\\slash"', "back\\slash"),
        ('userName eq "tab\\tnewline\\n"', "tab\tnewline\n"),
        ('userName eq "\\ud83d\\ude00"', "\U0001f600"),
        ('userName eq "a) and b]"', "a) and b]"),
        ('userName eq "raw\ttab"', "raw\ttab"),
    ],
)
def test_values(text: str, value: Value) -> None:
    result = parse_filter(text)
    assert isinstance(result, Compare)
    assert result.value == value
    assert type(result.value) is type(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(userName eq alice)", eq("userName", "alice")),
        ("emails[value eq a@b.c]", ValuePath(P("emails"), eq("value", "a@b.c"))),
        (
            "userName eq alice and active eq true",
            And(eq("userName", "alice"), eq("active", True)),
        ),
        (
            "userName eq alice or userName eq bob",
            Or(eq("userName", "alice"), eq("userName", "bob")),
        ),
        ("userName eq and", eq("userName", "and")),
    ],
)
def test_unquoted_values_end_at_whitespace_paren_or_bracket(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        '  userName\t\teq   "x"  ',
        '\tuserName eq\t"x"\n',
        'userName eq"x"',
        '( userName eq "x" )',
    ],
)
def test_whitespace_is_tolerated(text: str) -> None:
    assert parse_filter(text) == eq("userName", "x")


def test_whitespace_around_brackets_and_parens() -> None:
    assert parse_filter('emails [ type eq "work" ]') == ValuePath(P("emails"), eq("type", "work"))
    assert parse_filter("a pr and(b pr)") == And(a, b)
    assert parse_filter('x eq "1"and y pr') == And(eq("x", "1"), Present(P("y")))


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ('userName foo "x"', "unknown operator 'foo' at position 9", 9),
        ('userName EQQ "x"', "unknown operator 'EQQ' at position 9", 9),
        ('userName "x"', "expected an operator", 9),
        ("userName", "unexpected end of input at position 8; expected an operator", 8),
        ("userName eq", "missing comparison value after 'eq' at position 11", 11),
        ("userName eq   ", "missing comparison value after 'eq' at position 14", 14),
        ("(userName eq)", "missing comparison value after 'eq' at position 12", 12),
        ("userName eq (x)", "missing comparison value", 12),
        ('title pr "x"', "'pr' takes no comparison value at position 9", 9),
        ("title pr x", "unexpected 'x' at position 9; expected 'and', 'or' or end of filter", 9),
        ('(userName eq "x"', "expected 'and', 'or' or ')' to close the '(' at position 0", 16),
        ("((a pr) or (b pr)", "to close the '(' at position 0", 17),
        ('userName eq "x")', "unbalanced ')' with no matching '(' at position 15", 15),
        ('emails[type eq "work"', "or ']' to close the '[' at position 6", 21),
        ('emails[type eq "work")', "or ']' to close the '[' at position 6", 21),
        ('emails[type eq "work"]]', "unbalanced ']' with no matching '[' at position 22", 22),
        ('emails[addresses[type eq "work"]]', "value filters cannot be nested", 16),
        ("emails[(x pr or y[z pr])]", "value filters cannot be nested", 17),
        ('userName eq "x" foo', "unexpected 'foo' at position 16", 16),
        ('userName eq "x" and', "unexpected end of input at position 19", 19),
        ('userName eq "x" and )', "expected an attribute path", 20),
        ("", "empty filter at position 0", 0),
        ("   \t ", "empty filter", 5),
        ("()", "expected an attribute path", 1),
        ('userName eq "abc', "unterminated string at position 12", 12),
        ('userName eq "abc\\"', "unterminated string", 12),
        ('userName eq "\\q"', "invalid string literal", 13),
        ('userName eq "\\u12"', "invalid string literal", 14),
        ("a eq 1e999", "number '1e999' is out of range", 5),
        ("name.givenName.x eq 1", "too many '.'", 14),
        ("name. eq 1", "expected a sub-attribute name", 5),
        ("1abc eq 1", "invalid name '1abc'", 0),
        ("-x pr", "invalid name '-x'", 0),
        ("urn:foo: eq 1", "expected an attribute name", 8),
        (":x pr", "malformed schema URN", 0),
        ("urn::a:x pr", "malformed schema URN", 0),
        ('name.givenName[type eq "x"]', "cannot follow a sub-attribute", 0),
        ('not userName eq "x"', "expected '(' after 'not'", 4),
        ("not", "expected '(' after 'not'", 3),
        ("a pr [", "unexpected '['", 5),
        ("é eq 1", "expected an attribute path", 0),
    ],
)
def test_errors(text: str, fragment: str, position: int) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text)
    assert fragment in str(info.value)
    assert f"at position {position}" in str(info.value)
    assert info.value.position == position


def test_filter_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        parse_filter('userName xx "x"')


def test_too_long() -> None:
    text = 'userName eq "' + "a" * MAX_FILTER_LENGTH + '"'
    with pytest.raises(FilterError, match=r"too long .* at most 4096 characters"):
        parse_filter(text)


def test_exactly_max_length_is_accepted() -> None:
    prefix = 'userName eq "'
    text = prefix + "a" * (MAX_FILTER_LENGTH - len(prefix) - 1) + '"'
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text) == eq("userName", "a" * (MAX_FILTER_LENGTH - len(prefix) - 1))


def _nested_not(levels: int) -> Filter:
    result: Filter = a
    for _ in range(levels):
        result = Not(result)
    return result


def _wrap(opening: str, closing: str, levels: int, inner: str = "a pr") -> str:
    return opening * levels + inner + closing * levels


@pytest.mark.parametrize(
    ("at_limit", "too_deep"),
    [
        (_wrap("(", ")", MAX_DEPTH), _wrap("(", ")", MAX_DEPTH + 1)),
        (_wrap("not (", ")", MAX_DEPTH), _wrap("not (", ")", MAX_DEPTH + 1)),
        (
            "x[" + _wrap("(", ")", MAX_DEPTH - 1) + "]",
            "x[" + _wrap("(", ")", MAX_DEPTH) + "]",
        ),
    ],
)
def test_depth_limit(at_limit: str, too_deep: str) -> None:
    parse_filter(at_limit)
    with pytest.raises(FilterError, match=f"nesting deeper than {MAX_DEPTH} levels at position"):
        parse_filter(too_deep)


def test_depth_limit_counts_not_and_parens_together() -> None:
    assert parse_filter("not (" * MAX_DEPTH + "a pr" + ")" * MAX_DEPTH) == _nested_not(MAX_DEPTH)
    with pytest.raises(FilterError, match="nesting deeper"):
        parse_filter("(" + "not (" * MAX_DEPTH + "a pr" + ")" * (MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000,
        "not (" * 1000,
        "x[" + "(" * 5000,
        "(" * 2000 + "a pr" + ")" * 2000,
    ],
)
def test_hostile_nesting_never_recurses_out(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)
    with pytest.raises(InvalidPathError):
        parse_patch_path(text)


@pytest.mark.parametrize("keyword", ["and", "or"])
def test_logical_operator_limit(keyword: str) -> None:
    text = "a pr" + f" {keyword} a pr" * MAX_LOGICAL_OPERATORS
    result = parse_filter(text)
    # The longest allowed left-deep chain stays usable with recursive dunders.
    assert result == parse_filter(text)
    assert hash(result) == hash(parse_filter(text))
    assert repr(result).startswith("And(" if keyword == "and" else "Or(")
    assert render_filter(result) == text
    with pytest.raises(FilterError, match=f"more than {MAX_LOGICAL_OPERATORS} 'and'/'or'"):
        parse_filter(text + f" {keyword} a pr")


def test_logical_operator_limit_counts_nested_operators() -> None:
    half = MAX_LOGICAL_OPERATORS // 2
    inner = "(" + "a pr" + " or a pr" * half + ")"
    parse_filter(inner + " and a pr" * (MAX_LOGICAL_OPERATORS - half))
    with pytest.raises(FilterError, match="'and'/'or' operators at position"):
        parse_filter(inner + " and a pr" * (MAX_LOGICAL_OPERATORS - half + 1))


def test_render_rejects_non_finite_numbers() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        render_filter(eq("x", float("inf")))


# -------------------------------------------------------------------- PATCH paths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", PatchPath(P("userName"), None, None)),
        ("name.givenName", PatchPath(P("name", "givenName"), None, None)),
        ("members", PatchPath(P("members"), None, None)),
        (
            'members[value eq "2819c223"]',
            PatchPath(P("members"), eq("value", "2819c223"), None),
        ),
        (
            "members[value eq 2819c223-7f76-453a]",
            PatchPath(P("members"), eq("value", "2819c223-7f76-453a"), None),
        ),
        (
            'emails[type eq "work"].value',
            PatchPath(P("emails"), eq("type", "work"), "value"),
        ),
        (
            'addresses[type eq "work"].streetAddress',
            PatchPath(P("addresses"), eq("type", "work"), "streetAddress"),
        ),
        (
            'emails[type eq "work" and not (primary eq false)].display',
            PatchPath(P("emails"), And(eq("type", "work"), Not(eq("primary", False))), "display"),
        ),
        (
            f"{ENTERPRISE}:employeeNumber",
            PatchPath(P("employeeNumber", uri=ENTERPRISE), None, None),
        ),
        (
            f"{ENTERPRISE}:manager.value",
            PatchPath(P("manager", "value", uri=ENTERPRISE), None, None),
        ),
        (ENTERPRISE, PatchPath(AttrPath(ENTERPRISE, "", None), None, None)),
        (CORE_USER, PatchPath(AttrPath(CORE_USER, "", None), None, None)),
        (ENTERPRISE.upper(), PatchPath(AttrPath(ENTERPRISE.upper(), "", None), None, None)),
        (
            "urn:example:params:scim:schemas:extension:acme:1.0:Device",
            PatchPath(
                AttrPath("urn:example:params:scim:schemas:extension:acme:1.0:Device", "", None),
                None,
                None,
            ),
        ),
        (
            f'{CORE_USER}:emails[type eq "work"].value',
            PatchPath(P("emails", uri=CORE_USER), eq("type", "work"), "value"),
        ),
        (
            "members[$ref pr]",
            PatchPath(P("members"), Present(P("$ref")), None),
        ),
        ('  emails[ type eq "work" ].value  ', PatchPath(P("emails"), eq("type", "work"), "value")),
    ],
)
def test_patch_paths(text: str, expected: PatchPath) -> None:
    assert parse_patch_path(text) == expected


def test_bare_urn_without_version_needs_registration() -> None:
    urn = "urn:acme:schemas:Device"
    assert parse_patch_path(urn) == PatchPath(P("Device", uri="urn:acme:schemas"), None, None)
    assert parse_patch_path(urn, schema_urns=[urn]) == PatchPath(
        AttrPath(urn, "", None), None, None
    )
    # A registered URN ending in a version is still a prefix for its attributes.
    versioned = "urn:acme:1.0"
    assert parse_patch_path(f"{versioned}:serial", schema_urns=[versioned]) == PatchPath(
        P("serial", uri=versioned), None, None
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty path at position 0"),
        ("   ", "empty path"),
        ("emails[", "expected an attribute path"),
        ('emails[type eq "work"', "to close the '[' at position 6"),
        ('emails[type eq "work"].', "expected a sub-attribute name after '.'"),
        ('emails[type eq "work"].1x', "invalid name '1x'"),
        ('emails[type eq "work"].value.display', "unexpected '.display'"),
        ('emails[type eq "work"]x', "unexpected 'x'"),
        ('emails[type eq "work"] value', "unexpected 'value'"),
        ('name.givenName[type eq "x"]', "cannot follow a sub-attribute"),
        ("emails[type[value pr]]", "value filters cannot be nested"),
        ('userName eq "x"', "unexpected 'eq' at position 9; expected end of path"),
        (f"{ENTERPRISE}[type pr]", "expected end of path after a schema URN"),
        (f"{ENTERPRISE}:", "expected an attribute name"),
        ("1bad", "invalid name '1bad'"),
        ("name.given.name", "too many '.'"),
        ("emails[type eq]", "missing comparison value after 'eq'"),
        ("emails[type zz 1]", "unknown operator 'zz'"),
        ("emails]", "unbalanced ']'"),
        ("a" * (MAX_FILTER_LENGTH + 1), "path is too long"),
    ],
)
def test_patch_path_errors(text: str, fragment: str) -> None:
    with pytest.raises(InvalidPathError) as info:
        parse_patch_path(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, FilterError)
    assert "at position" in str(info.value)


def test_render_patch_path() -> None:
    for text in (
        "userName",
        "name.givenName",
        'emails[type eq "work"].value',
        ENTERPRISE,
        f"{ENTERPRISE}:manager.value",
    ):
        assert render_patch_path(parse_patch_path(text)) == text


# -------------------------------------------------------------------- hypothesis

KEYWORD_NAMES = ["not", "and", "or", "pr", "eq", "NOT", "Pr", "true", "null", "$ref"]
names = st.one_of(
    st.from_regex(r"[A-Za-z$][A-Za-z0-9_$-]{0,8}", fullmatch=True),
    st.sampled_from(KEYWORD_NAMES),
)
uris = st.one_of(
    st.sampled_from([CORE_USER, ENTERPRISE, "urn:acme:ext:1.0:Thing"]),
    st.from_regex(r"urn(:[A-Za-z0-9_$.-]{1,6}){1,4}", fullmatch=True),
)
paths = st.builds(AttrPath, st.none() | uris, names, st.none() | names)
values: st.SearchStrategy[Value] = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
operators = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
leaves: st.SearchStrategy[Filter] = st.one_of(
    st.builds(Compare, paths, operators, values), st.builds(Present, paths)
)


def _filters_up_to(depth: int, *, value_paths: bool) -> st.SearchStrategy[Filter]:
    """Depth-bounded trees, so rendered nesting stays under MAX_DEPTH."""
    level = leaves
    for _ in range(depth):
        options: list[st.SearchStrategy[Filter]] = [
            leaves,
            st.builds(And, level, level),
            st.builds(Or, level, level),
            st.builds(Not, level),
        ]
        if value_paths:
            element = _filters_up_to(2, value_paths=False)
            top_level = st.builds(AttrPath, st.none() | uris, names, st.none())
            options.append(st.builds(ValuePath, top_level, element))
        level = st.one_of(options)
    return level


def _typed(f: object) -> object:
    """Structure including value types, since True == 1 == 1.0 in plain equality."""
    if isinstance(f, Compare):
        return (f.path, f.op, type(f.value), f.value)
    if isinstance(f, And | Or):
        return (type(f), _typed(f.left), _typed(f.right))
    if isinstance(f, Not):
        return ("not", _typed(f.expr))
    if isinstance(f, ValuePath):
        return (f.path, _typed(f.filter))
    return f


FILTERISH_ALPHABET = '()[]" .:eqandornotpr\\\t$0123456789-'
FILTERISH_WORDS = [
    "userName", "emails", "name.givenName", ".value", "value", "type", "$ref",
    "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ",
    "and", "or", "not", "AND", "Not", "(", ")", "[", "]", '"', '"x"', '"a\\"b"',
    '"\\u00e9"', '"\\', "\\", "true", "null", "False", "1", "-2.5e3", "1e999", "007",
    "alice@example.com", f"{ENTERPRISE}:", ENTERPRISE, f"{CORE_USER}:name.givenName",
    ":", ".", "urn:", "é",
]  # fmt: skip


@st.composite
def mutated_filters(draw: st.DrawFn) -> str:
    """A valid filter with one character replaced, inserted or deleted: near misses."""
    text = render_filter(draw(_filters_up_to(2, value_paths=True)))
    index = draw(st.integers(0, len(text)))
    replacement: str = draw(st.sampled_from(["", *FILTERISH_ALPHABET, "é", "\x00"]))
    skip = draw(st.sampled_from([0, 1]))
    return text[:index] + replacement + text[index + skip :]


filterish_text = st.one_of(
    mutated_filters(),
    st.text(),
    st.text(alphabet=FILTERISH_ALPHABET, max_size=80),
    st.lists(st.sampled_from(FILTERISH_WORDS), max_size=25).map(" ".join),
    st.lists(st.sampled_from(FILTERISH_WORDS), max_size=25).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(filterish_text)
def test_parse_filter_only_raises_filter_error(text: str) -> None:
    try:
        result = parse_filter(text)
    except FilterError as exc:
        assert "at position" in str(exc)
        assert exc.position is not None
        return
    assert isinstance(result, Compare | Present | And | Or | Not | ValuePath)
    # Anything that parses renders to canonical text with the same meaning.
    assert parse_filter(render_filter(result)) == result


@settings(max_examples=300, deadline=None)
@given(filterish_text)
def test_parse_patch_path_only_raises_invalid_path_error(text: str) -> None:
    try:
        result = parse_patch_path(text)
    except InvalidPathError as exc:
        assert "at position" in str(exc)
        return
    assert isinstance(result, PatchPath)
    assert parse_patch_path(render_patch_path(result)) == result


@settings(max_examples=300, deadline=None)
@given(_filters_up_to(4, value_paths=True))
def test_render_parse_round_trip(f: Filter) -> None:
    text = render_filter(f)
    parsed = parse_filter(text)
    assert parsed == f
    assert _typed(parsed) == _typed(f)
    assert render_filter(parsed) == text


# Patch-path URNs must not look like bare schema URNs (last segment is a version).
patch_uris = st.one_of(
    st.sampled_from([CORE_USER, ENTERPRISE]),
    st.from_regex(r"urn(:[A-Za-z0-9_$.-]{1,6}){0,3}:[A-Za-z][A-Za-z]{0,5}", fullmatch=True),
)
patch_paths = st.one_of(
    st.builds(PatchPath, st.builds(AttrPath, st.none() | patch_uris, names, st.none() | names),
              st.none(), st.none()),
    st.builds(
        PatchPath,
        st.builds(AttrPath, st.none() | patch_uris, names, st.none()),
        _filters_up_to(2, value_paths=False),
        st.none() | names,
    ),
    st.builds(PatchPath, st.builds(AttrPath, patch_uris, st.just(""), st.none()),
              st.none(), st.none()),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(patch_paths)
def test_patch_path_round_trip(p: PatchPath) -> None:
    known = [p.attr.uri] if p.attr.attr == "" and p.attr.uri else []
    assert parse_patch_path(render_patch_path(p), schema_urns=known) == p

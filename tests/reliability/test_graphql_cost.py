"""GraphQL cost limit: nested pages multiply, and a too-costly query is refused up front."""

from __future__ import annotations

from tests.reliability.conftest import Rel

NESTED = """query{vars} {{ tenant(id: "acme") {{
  groups(first: {outer}) {{ edges {{ node {{ members(first: {inner}) {{
    edges {{ node {{ id }} }} }} }} }} }} }} }}"""
FRAGMENT = """query { tenant(id: "acme") { ...G } }
fragment G on Tenant { groups(first: 100) { edges { node { ...M } } } }
fragment M on Group { members(first: 100) { edges { node { id } } } }"""


def _cost_errors(body: dict[str, object]) -> list[str]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["message"] for e in errors if "query cost" in e["message"]]


async def test_small_pages_pass_and_large_nested_pages_are_refused(rel: Rel) -> None:
    ok = await rel.gql(NESTED.format(vars="", outer=10, inner=10))
    assert "errors" not in ok, ok
    refused = await rel.gql(NESTED.format(vars="", outer=100, inner=100))
    [message] = _cost_errors(refused)
    assert "exceeds the maximum of 20000" in message and "smaller pages" in message
    assert refused.get("data") is None  # nothing ran
    assert refused["errors"][0]["extensions"]["code"] == "INVALID"


async def test_variables_and_fragments_are_counted(rel: Rel) -> None:
    # A variable counts as the largest page (the value is not known at validation).
    assert _cost_errors(await rel.gql(NESTED.format(vars="($n: Int)", outer="$n", inner="$n"), n=2))
    assert _cost_errors(await rel.gql(FRAGMENT))


async def test_defaults_count_when_first_is_omitted(rel: Rel) -> None:
    # groups default 50 x members default 20: 1,000 members, well within the limit.
    body = await rel.gql('{ tenant(id: "acme") { groups { edges { node { members '
                         "{ edges { node { id } } } } } } } }")
    assert "errors" not in body, body

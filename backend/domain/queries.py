"""Door-neutral list queries (SCIM filters and GraphQL filters share the same grammar)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ListQuery:
    """``filter`` is a parsed filter tree (``backend.domain.filters``) or None."""

    filter: Any = None
    sort_by: str | None = None
    descending: bool = False
    start_index: int = 1  # 1-based, as SCIM
    count: int | None = None  # None: the default page size; 0: totals only
    cursor: str | None = None  # RFC 9865: "" asks for the first page in cursor mode


@dataclass(frozen=True, slots=True)
class UserDraft:
    """What a door wants a user to look like in one tenant."""

    user_name: str
    profile: dict[str, Any]
    external_id: str | None = None
    active: bool | None = True  # None: unset, which counts as active
    password: str | None = None  # plaintext to set; None leaves the password as it is


@dataclass(frozen=True, slots=True)
class GroupChange:
    """A targeted change to a group: renames and member deltas, never a rewrite."""

    display_name: str | None = None
    external_id: str | None = None
    set_external_id: bool = False
    add_members: tuple[str, ...] = ()
    remove_members: tuple[str, ...] = ()
    replace_members: tuple[str, ...] | None = None  # applied as a difference

    @property
    def touches_members(self) -> bool:
        return bool(self.add_members or self.remove_members or self.replace_members is not None)

    @property
    def touches_attributes(self) -> bool:
        return self.display_name is not None or self.set_external_id

"""The schema as SQLAlchemy Core tables. Alembic migrations create it; this mirrors them.

Case-insensitive uniqueness uses stored normalised columns (``*_norm``) with plain unique
indexes: portable between SQLite and PostgreSQL and usable by both planners.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = sa.String(64)
TS = sa.DateTime(timezone=True)

tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("user_name_norm", sa.String(255), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255)),
    sa.Column("given_name", sa.String(255)),
    sa.Column("family_name", sa.String(255)),
    sa.Column("title", sa.String(255)),
    sa.Column("user_type", sa.String(255)),
    sa.Column("employee_number", sa.String(255)),
    sa.Column("department", sa.String(255)),
    sa.Column("profile", sa.JSON, nullable=False),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("instance_owner", sa.Boolean, nullable=False, default=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

user_emails = sa.Table(
    "user_emails", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("value", sa.String(320), nullable=False),
    sa.Column("value_norm", sa.String(320), nullable=False),
    sa.Column("type", sa.String(64)),
    sa.Column("is_primary", sa.Boolean, nullable=False, default=False),
    sa.Index(None, "user_id"),
    sa.Index(None, "value_norm"),
)

integrations = sa.Table(
    "integrations", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column(
        "service_account_id", ID, sa.ForeignKey("service_accounts.id"), nullable=False
    ),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index(None, "tenant_id"),
    sa.Index(None, "service_account_id"),
)

memberships = sa.Table(
    "memberships", metadata,
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("active", sa.Boolean, nullable=True, default=True),  # NULL: unset (= active)
    sa.Column("external_id", sa.String(255)),
    sa.Column(
        "integration_id", ID, sa.ForeignKey("integrations.id", ondelete="SET NULL")
    ),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    # With user_id, an externalId lookup (ordered by user_id, like every user page) is one seek.
    sa.Index(None, "tenant_id", "external_id", "user_id"),
    sa.Index(None, "user_id"),
)

groups = sa.Table(
    "groups", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("display_name_norm", sa.String(255), nullable=False),
    sa.Column("external_id", sa.String(255)),
    sa.Column(
        "integration_id", ID, sa.ForeignKey("integrations.id", ondelete="SET NULL")
    ),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("tenant_id", "display_name_norm"),
    sa.Index(None, "tenant_id", "external_id"),
)

group_members = sa.Table(
    "group_members", metadata,
    sa.Column("group_id", ID, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # The reverse direction: a user's groups within a tenant.
    sa.Index(None, "user_id", "tenant_id"),
)

roles = sa.Table(
    "roles", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_norm", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("permissions", sa.JSON, nullable=False),
    sa.Column("managed", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("tenant_id", "name_norm"),
)

bindings = sa.Table(
    "bindings", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role_id", ID, sa.ForeignKey("roles.id"), nullable=False),
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("subject_id", ID, nullable=False),
    sa.Column("namespace", sa.String(255)),
    sa.Column("created_at", TS, nullable=False),
    sa.Index(None, "tenant_id", "subject_type", "subject_id"),
    sa.Index(None, "role_id"),
)

service_accounts = sa.Table(
    "service_accounts", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("tenant_id", "name"),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_type", sa.String(32), nullable=False),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id", ondelete="CASCADE")),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("prefix", sa.String(32), nullable=False),
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS),
    sa.Column("last_used_at", TS),
    sa.Column("revoked_at", TS),
    sa.Index(None, "owner_type", "owner_id"),
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", ID),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor_type", sa.String(32), nullable=False),
    sa.Column("actor_id", ID, nullable=False),
    sa.Column("actor_label", sa.String(255), nullable=False),
    sa.Column("via", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource_type", sa.String(64), nullable=False),
    sa.Column("resource_id", sa.String(255), nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Index(None, "tenant_id", "id"),
)

# One row per SCIM request to an integration (what did my IdP just do?). Never bodies or
# headers: method, path without query, outcome, a counts-only summary. Pruned by age and size.
provisioning_requests = sa.Table(
    "provisioning_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration_id", ID, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("tenant_id", ID, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("scim_type", sa.String(32)),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Index(None, "integration_id", "id"),
    sa.Index(None, "at"),
)

# The accidental-deletion guard's shared state (one row per integration, created lazily), so
# several server processes count the same window.
deletion_guards = sa.Table(
    "deletion_guards", metadata,
    sa.Column("integration_id", ID, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("tenant_id", ID, nullable=False),
    sa.Column("window_start", TS, nullable=False),
    sa.Column("deprovisioned", sa.Integer, nullable=False),
    sa.Column("tripped_at", TS),
    sa.Column("held", sa.Integer, nullable=False),  # deprovisions refused since the trip
    # The tenant's users when this window first needed its size (NULL: not counted yet).
    sa.Column("base_members", sa.Integer),
)

ALL_TABLES = [
    tenants, users, user_emails, integrations, memberships, groups, group_members, roles,
    bindings, service_accounts, api_tokens, audit_events, provisioning_requests, deletion_guards,
]

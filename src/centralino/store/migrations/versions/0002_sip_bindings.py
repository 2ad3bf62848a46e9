"""SIP registrar bindings: one row per (address-of-record, contact), so registrations survive restarts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Matches ``centralino.store.sip_bindings.SipBindingRow``. No foreign key to
agents: an AOR is ``extension@realm`` and may belong to a trunk or a user
that is not an agent; stale rows simply expire.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sip_bindings",
        sa.Column("aor", sa.String(length=255), nullable=False),
        sa.Column("contact", sa.String(length=512), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("cseq", sa.Integer(), nullable=False),
        sa.Column("q", sa.Float(), nullable=True),
        sa.Column("instance", sa.String(length=255), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("source_transport", sa.String(length=8), nullable=False),
        sa.Column("source_host", sa.String(length=64), nullable=False),
        sa.Column("source_port", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("aor", "contact", name=op.f("pk_sip_bindings")),
    )
    op.create_index(op.f("ix_sip_bindings_expires_at"), "sip_bindings", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sip_bindings_expires_at"), table_name="sip_bindings")
    op.drop_table("sip_bindings")

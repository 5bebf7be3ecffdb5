"""Login failures shared by every server process (the throttle), and the programme's
batch runs with their overview page.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failure_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_failure_at"), ["at"], unique=False)

    op.create_table(
        "batch_run",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n_coalitions", sa.Integer(), nullable=False),
        sa.Column("n_ok", sa.Integer(), nullable=True),
        sa.Column("n_failed", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("index_html", sa.Text(), nullable=True),
        sa.Column("index_disclosure", sa.Text(), nullable=True),
        sa.Column("reports", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_run")),
    )
    with op.batch_alter_table("batch_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_run_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_run_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("batch_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_run_created_at"))
        batch_op.drop_index(batch_op.f("ix_batch_run_status"))
    op.drop_table("batch_run")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_at"))
        batch_op.drop_index(batch_op.f("ix_login_failure_key"))
    op.drop_table("login_failure")

"""memos.coding_id: a memo on one coding (besides memos on excerpts, documents and codes)

Revision ID: 0005_coding_memos
Revises: 0004_commands
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_coding_memos"
down_revision = "0004_commands"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coding_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_memos_coding_id"), ["coding_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_memos_coding_id_codings"), "codings", ["coding_id"], ["id"],
                                    ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_memos_coding_id_codings"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_memos_coding_id"))
        batch_op.drop_column("coding_id")

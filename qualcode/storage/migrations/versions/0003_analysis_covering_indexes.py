"""covering indexes for analysis filters: one coder's codings per code; pending suggestions per code

Measured on the 500,000-excerpt benchmark project: frequencies by year for one coder
1.12 -> 0.59 s CPU; including 300k pending suggestions 1.08 -> 0.77 s CPU.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("codings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_codings_code_id_coder_id_excerpt_id"),
                              ["code_id", "coder_id", "excerpt_id"], unique=False)
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suggestions_status_code_id_excerpt_id"),
                              ["status", "code_id", "excerpt_id"], unique=False)
        batch_op.drop_index(batch_op.f("ix_suggestions_status_code_id"))


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suggestions_status_code_id"), ["status", "code_id"], unique=False)
        batch_op.drop_index(batch_op.f("ix_suggestions_status_code_id_excerpt_id"))
    with op.batch_alter_table("codings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codings_code_id_coder_id_excerpt_id"))

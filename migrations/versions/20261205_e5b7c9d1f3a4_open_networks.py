"""Open networks (Bluesky, Mastodon): room for their ids, and an account's own post limit.

- Post ids, cursors and people's ids grow from 40 to 300 characters: a Bluesky post is an
  at:// URI (`at://did:plc:…/app.bsky.feed.post/…`, about 70 characters, and a did:web can be
  longer), a person a DID. Handles grow to 255 (a Mastodon handle is user@instance, a
  Bluesky one a domain name). PostgreSQL only: SQLite never enforces a VARCHAR's length,
  and migrations/env.py leaves lengths out of the comparison there.
- `social_accounts.post_limit`: a Mastodon instance sets its own limit for a post (500
  unless its admin changed it); the account keeps the one its instance reported.
- `social_accounts.service_url`: the server the account lives on (a Bluesky PDS, a
  Mastodon instance), so several accounts on different servers can be connected.
- `reply_templates.network`: a wording for one network's posts ("" = every network, as
  before); the unique key becomes (kind, stage, language, network).
- `mention_log.post_url`: the post's web address; a Mastodon post's cannot be rebuilt from
  its id (X's could), and an undone match makes an idea that links it.

Revision ID: e5b7c9d1f3a4
Revises: d3c5a7e9f1b2
Create Date: 2026-12-05 01:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5b7c9d1f3a4"
down_revision = "d3c5a7e9f1b2"
branch_labels = None
depends_on = None

WIDER = [
    ("social_accounts", "remote_user_id", 40, 300, False),
    ("social_accounts", "username", 60, 255, False),
    ("social_accounts", "since_id", 40, 300, True),
    ("social_identities", "remote_user_id", 40, 300, False),
    ("social_identities", "handle", 60, 255, False),
    ("mention_log", "post_id", 40, 300, False),
    ("mention_log", "author_handle", 60, 255, False),
    ("mention_log", "author_remote_id", 40, 300, True),
    ("ideas", "source_post_id", 40, 300, True),
    ("ideas", "source_author_handle", 120, 255, True),
]


def upgrade():
    with op.batch_alter_table("social_accounts") as batch:
        batch.add_column(sa.Column("post_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("service_url", sa.String(length=300), nullable=True))
    with op.batch_alter_table("mention_log") as batch:
        batch.add_column(sa.Column("post_url", sa.String(length=500), nullable=True))
    with op.batch_alter_table("reply_templates") as batch:
        batch.add_column(
            sa.Column("network", sa.String(length=16), server_default="", nullable=False)
        )
        batch.drop_constraint("uq_reply_templates_kind_stage_lang", type_="unique")
        batch.create_unique_constraint(
            "uq_reply_templates_kind_stage_lang_net", ["kind", "stage_slug", "lang", "network"]
        )
    if op.get_bind().dialect.name == "postgresql":
        for table, column, old, new, nullable in WIDER:
            op.alter_column(
                table,
                column,
                existing_type=sa.String(length=old),
                type_=sa.String(length=new),
                existing_nullable=nullable,
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Refused (value too long) while rows from Bluesky or Mastodon are stored: they would
        # not fit the old columns, and cutting ids would break the loop.
        for table, column, old, new, nullable in WIDER:
            op.alter_column(
                table,
                column,
                existing_type=sa.String(length=new),
                type_=sa.String(length=old),
                existing_nullable=nullable,
            )
    # A network's own wordings have no place in the old key: they go.
    op.execute("DELETE FROM reply_templates WHERE network <> ''")
    with op.batch_alter_table("reply_templates") as batch:
        batch.drop_constraint("uq_reply_templates_kind_stage_lang_net", type_="unique")
        batch.create_unique_constraint(
            "uq_reply_templates_kind_stage_lang", ["kind", "stage_slug", "lang"]
        )
        batch.drop_column("network")
    with op.batch_alter_table("mention_log") as batch:
        batch.drop_column("post_url")
    with op.batch_alter_table("social_accounts") as batch:
        batch.drop_column("service_url")
        batch.drop_column("post_limit")

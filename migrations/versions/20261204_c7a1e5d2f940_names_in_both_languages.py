"""Names in both languages: stages, categories and teams get a Korean name (`name_ko`).

`name` stays the English name. The seeded stages, categories and teams (and the demo's
categories) get the Korean names the catalog gave them when they were translated at display
time; a name typed in Korean by an admin (Hangul and no Latin letter) is copied to `name_ko`
as well, so Korean pages keep showing it. Other names keep an empty Korean name, and pages
fall back to the English one until an admin adds it.

Revision ID: c7a1e5d2f940
Revises: 4d7a1c9e3b52
Create Date: 2026-12-04 15:40:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a1e5d2f940'
down_revision = '4d7a1c9e3b52'
branch_labels = None
depends_on = None

TABLES = ('stages', 'categories', 'teams')

# The Korean names, per table and English name, as the ko catalog translated them.
# "New" was translated as the sort tab's "최신순" in places; the stage is "신규".
KOREAN = {
    'stages': {
        'New': '신규',
        'Under Review': '검토 중',
        'Planned': '계획됨',
        'In Progress': '진행 중',
        'Launched': '출시됨',
        'Declined': '보류',
        'Duplicate': '중복',
    },
    'categories': {
        'Product': '상품',
        'App & website': '앱·웹사이트',
        'Billing & payments': '요금·결제',
        'Customer support': '고객 지원',
        'Mobile plans': '모바일 요금제',
        'Home internet': '가정용 인터넷',
        'Stores & delivery': '매장·배송',
    },
    'teams': {
        'Product': '상품',
        'Support': '고객 지원',
        'Billing': '요금',
        'Network': '네트워크',
    },
}
_HANGUL = re.compile('[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]')
_LATIN = re.compile('[A-Za-z]')


def korean_name(table, name):
    """The Korean name a row gets on upgrade ('' when none is known)."""
    known = KOREAN[table].get(name)
    if known:
        return known
    if name and _HANGUL.search(name) and not _LATIN.search(name):
        return name
    return ''


def upgrade():
    bind = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('name_ko', sa.String(length=60), nullable=False, server_default='')
            )
        rows = bind.execute(sa.text(f'SELECT id, name FROM {table}')).all()
        for row_id, name in rows:
            korean = korean_name(table, name)
            if korean:
                bind.execute(
                    sa.text(f'UPDATE {table} SET name_ko = :ko WHERE id = :id'),
                    {'ko': korean, 'id': row_id},
                )


def downgrade():
    bind = op.get_bind()
    for table in TABLES:
        # A row named only in Korean keeps that name as its one name.
        bind.execute(
            sa.text(f"UPDATE {table} SET name = name_ko WHERE name = '' AND name_ko <> ''")
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('name_ko')

from __future__ import annotations

from sqlalchemy import func, select

from ideaboard.extensions import db
from ideaboard.ideas.models import Comment, Idea, Vote
from ideaboard.triage.models import StatusChange


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_loads_a_realistic_board_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ideaboard", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Staff login: staff@example.com" in result.output
    ideas = _count(Idea)
    assert ideas >= 30
    assert _count(Vote) > ideas
    assert _count(Comment) > 0
    assert _count(StatusChange) > 0
    korean = db.session.scalar(select(Idea).where(Idea.title == "데이터 이월 서비스"))
    assert korean is not None
    assert korean.stage.slug == "launched"
    assert db.session.scalar(select(func.count()).where(Idea.source == "x")) > 0
    # Stored counts agree with the rows they count.
    for idea in db.session.scalars(select(Idea)).unique():
        up = db.session.scalar(select(func.count()).where(Vote.idea_id == idea.id, Vote.value == 1))
        down = db.session.scalar(
            select(func.count()).where(Vote.idea_id == idea.id, Vote.value == -1)
        )
        comments = db.session.scalar(select(func.count()).where(Comment.idea_id == idea.id))
        assert (idea.up_count, idea.down_count, idea.score) == (up, down, up - down)
        assert idea.comment_count == comments

    again = runner.invoke(args=["ideaboard", "demo", "--if-empty"])
    assert again.exit_code == 0
    assert "already" in again.output
    db.session.remove()
    assert _count(Idea) == ideas


def test_demo_board_page_shows_demo_ideas(app, client):
    app.test_cli_runner().invoke(args=["ideaboard", "demo"])
    page = client.get("/?sort=top").get_data(as_text=True)
    assert page.count('class="idea-card"') == 20
    search = client.get("/?q=데이터 이월").get_data(as_text=True)
    assert "데이터 이월 서비스" in search


def test_demo_refuses_a_board_that_has_ideas(app, make_idea):
    make_idea()
    result = app.test_cli_runner().invoke(args=["ideaboard", "demo"])
    assert result.exit_code == 1
    assert "empty database only" in result.output
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 1

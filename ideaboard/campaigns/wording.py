"""The built-in wording of the campaign announcements (Korean and English).

They are the defaults of the reply-template kinds "campaign_opened" and "campaign_closed"
(social/reply_templates.py), which admins override per language and network. Placeholders:
{title}, {hashtag} (without "#"; the wording writes it), {url} (the campaign page when it
opens, its results page when it closes), {deadline} (opened: in the board's zone), {ideas}
and {launched} (closed: how many ideas, how many of them launched), {signature}.
"""

from __future__ import annotations

CAMPAIGN_OPENED = {
    "ko": "[아이디어 캠페인] {title} — {deadline}까지 #{hashtag} 태그로 "
    "아이디어를 보내 주세요! {url}",
    "en": "[Idea campaign] {title}: share your ideas with #{hashtag} until {deadline}. {url}",
}
CAMPAIGN_CLOSED = {
    "ko": "[캠페인 마감] {title} #{hashtag} 캠페인이 마감되었습니다. 아이디어 {ideas}개, "
    "고맙습니다! 결과: {url}",
    "en": "[Campaign closed] {title} #{hashtag} is closed: {ideas} ideas. Thank you! "
    "Results: {url}",
}

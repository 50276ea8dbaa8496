"""Campaigns: idea drives on one topic with a hashtag and a deadline (IdeaStorm's Storm Sessions).

See docs/campaigns.md. The state of a campaign is derived from its dates at every request
(`models.Campaign.state_at`), so no job has to flip it at the deadline.
"""

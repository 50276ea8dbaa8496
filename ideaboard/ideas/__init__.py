"""Ideas, votes, comments, follows, notifications and search."""

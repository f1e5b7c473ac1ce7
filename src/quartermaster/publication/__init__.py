"""Publication: OCDS releases, the transparency log and the change feed, all derived from a transaction's events.

``service.Publisher`` runs in every write transaction just before it commits (``Database.before_commit``): it turns
the transaction's public events into one release per contracting process, projects it through the disclosure policy,
and appends a log entry whose index is also the feed position. Indexes are taken under a lock held until commit, so
the feed is in commit order and never skips.
"""

"""What staff asked, read back from the tracker store, for content owners:
``python -m reports report`` (make report) and ``python -m reports
export-unanswered`` (make export-unanswered)."""

"""Evaluation pages: the evaluator's workspace, opening, verdicts on bids, ranking, disqualification and award."""

from __future__ import annotations

from fastapi import APIRouter

from quartermaster.web.auth import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

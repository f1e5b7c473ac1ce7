"""Procurement plans in the buyer's workspace: list, prepare, change, publish, cancel, complete."""

from __future__ import annotations

from fastapi import APIRouter

from quartermaster.web.auth import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

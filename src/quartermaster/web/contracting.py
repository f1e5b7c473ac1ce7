"""Contract pages of both sides: unit prices, signatures, amendments, deliveries, acceptance, payments, completion."""

from __future__ import annotations

from fastapi import APIRouter

from quartermaster.web.auth import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

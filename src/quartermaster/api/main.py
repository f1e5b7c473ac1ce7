"""uvicorn factory for `quartermaster serve`: settings from the environment, scheduler in-process if asked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from quartermaster.api.app import create_app
from quartermaster.api.deps import AppState
from quartermaster.config import get_settings


def _scheduler_hook(state: AppState) -> Callable[[], Awaitable[None]]:
    from quartermaster.scheduler import run_forever

    task = asyncio.get_running_loop().create_task(
        run_forever(state.db, state.clock, state.settings.scheduler_interval_seconds, state.publication.log)
    )

    async def stop() -> None:
        task.cancel()

    return stop


def app() -> FastAPI:
    """Build the served app."""
    settings = get_settings()
    return create_app(settings, lifespan_hooks=[_scheduler_hook] if settings.run_scheduler else [])

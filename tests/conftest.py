"""Suite-wide pytest hooks."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    Playwright's sync API keeps an asyncio loop running on the main thread while its session-scoped
    browser is alive; tests that call ``asyncio.run`` after it would fail.  Putting tests/ui at the
    end keeps every other test independent of it.
    """
    items.sort(key=lambda item: "/tests/ui/" in str(item.path).replace("\\", "/"))

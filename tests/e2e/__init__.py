"""End-to-end journeys through the admin in a real browser (Chromium via Playwright)."""

from __future__ import annotations

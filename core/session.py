"""From :class:`~core.config.Settings` to a client and the desktop they name: written once
for the dashboard and the scriptable commands."""

from __future__ import annotations

from core.config import Settings
from core.desktop import AsyncDesktopClient, DesktopTarget, SandboxRef
from core.transport import AsyncTransport

__all__ = ["client_for", "desktop_for"]


def client_for(settings: Settings) -> AsyncDesktopClient:
    """A client with the settings' API key, control plane and sandbox domain (close it)."""
    transport = AsyncTransport(api_key=settings.api_key, base_url=settings.base_url)
    return AsyncDesktopClient(transport, sandbox_domain=settings.sandbox_domain)


def desktop_for(settings: Settings) -> SandboxRef | None:
    """The one desktop the settings name: a desktop host (its URL and token), a sandbox
    id, or ``None`` (the account's list, or the local desktop).

    Raises :class:`~core.errors.Leap0ValidationError` for a malformed URL.
    """
    if settings.desktop_url:
        return DesktopTarget(
            settings.desktop_url, settings.desktop_token, name=settings.desktop_url
        )
    return settings.sandbox_id

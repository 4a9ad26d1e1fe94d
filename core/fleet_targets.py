"""Which desktops the fleet follows: the account's sandboxes, the config's desktop hosts and the
local desktops, merged into one set keyed by a stable id.

No I/O: :class:`FleetTargets` is told each source's latest content (the listing by
:class:`core.sandbox_watch.SandboxWatch`, the profiles by the config file, the local hosts
by whoever started them) and answers the merged set, which :meth:`core.fleet.Fleet.set_targets`
takes.

Keys: a sandbox's id as it is (``sbx-abc``); ``profile:NAME`` for a config profile's desktop
host; ``local:NAME`` for a local desktop. A sandbox is followed only while the control plane
says it is ``running``; otherwise its health is ``unknown`` with its state as the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from core.config import ConfigFile
from core.references import DesktopTarget, SandboxRef
from core.sandboxes import SandboxSummary

__all__ = [
    "FleetTarget",
    "FleetTargets",
    "SandboxRefFor",
    "local_target",
    "profile_targets",
    "sandbox_target",
]

type Source = Literal["sandbox", "profile", "local"]
type SandboxRefFor = Callable[[SandboxSummary], SandboxRef]
"""Where a listed sandbox's desktop answers: its id (``https://{id}.{sandbox_domain}`` with
the client's API key) unless the caller says otherwise."""

_ORDER: tuple[Source, ...] = ("local", "profile", "sandbox")

FOLLOWED_STATES = frozenset({"running"})
"""The control-plane states in which a sandbox's desktop is followed."""


@dataclass(frozen=True, slots=True)
class FleetTarget:
    """One desktop the fleet may follow.

    ``ref`` is what :class:`~core.desktop.AsyncDesktopClient` calls it with; ``label`` is
    what a person reads (sandbox id, profile name, local host's name). ``sandbox`` is the
    control plane's row for a sandbox (state, template, creation time), ``None`` otherwise.
    ``followable`` false means "do not contact it" (a paused sandbox), with ``reason``.
    """

    key: str
    ref: SandboxRef
    label: str
    source: Source
    sandbox: SandboxSummary | None = None
    followable: bool = True
    reason: str | None = None

    @property
    def control_state(self) -> str | None:
        """The control plane's state of a sandbox (``None`` for other desktops)."""
        return self.sandbox.state if self.sandbox is not None else None


def sandbox_target(sandbox: SandboxSummary, ref_for: SandboxRefFor | None = None) -> FleetTarget:
    """The target of one listed sandbox, followed while it is ``running``."""
    followable = sandbox.state in FOLLOWED_STATES
    return FleetTarget(
        key=sandbox.id,
        ref=ref_for(sandbox) if ref_for is not None else sandbox.id,
        label=sandbox.id,
        source="sandbox",
        sandbox=sandbox,
        followable=followable,
        reason=None if followable else f"sandbox {sandbox.state}",
    )


def profile_targets(config: ConfigFile) -> list[FleetTarget]:
    """A target per profile of the config file that names a desktop host (``url`` + ``token``).

    Cloud profiles (an API key) are accounts, not desktops: their sandboxes come from the
    listing of whichever account the client uses.
    """
    targets = []
    for name, profile in sorted(config.profiles.items()):
        if profile.url:
            ref = DesktopTarget(profile.url, token=profile.token or "", name=name)
            targets.append(FleetTarget(f"profile:{name}", ref, name, "profile"))
    return targets


def local_target(name: str, url: str, token: str | None) -> FleetTarget:
    """The target of a local desktop host (its ready line's ``url`` and ``token``)."""
    ref = DesktopTarget(url, token=token or "", name=name)
    return FleetTarget(f"local:{name}", ref, name, "local")


class FleetTargets:
    """The three sources of desktops, merged into one keyed set.

    Each ``set_*`` replaces one source's content and returns whether the merged set
    changed. When two sources name the same desktop URL, the first of local, profile,
    sandbox wins (the one with its own token), so no desktop is followed twice.
    """

    def __init__(self, sandbox_ref: SandboxRefFor | None = None) -> None:
        self._sandbox_ref = sandbox_ref
        self._sources: dict[Source, dict[str, FleetTarget]] = {
            "local": {},
            "profile": {},
            "sandbox": {},
        }
        self._merged: dict[str, FleetTarget] = {}

    def set_sandboxes(self, sandboxes: Iterable[SandboxSummary]) -> bool:
        """The account's sandboxes as listed (the last listing, whole)."""
        # A sandbox listed as it was keeps its target: a listing of 5,000 is taken in after
        # every page, and most rows have not changed since the last one.
        known = self._sources["sandbox"]
        targets = (
            old
            if (old := known.get(s.id)) is not None and old.sandbox == s
            else sandbox_target(s, self._sandbox_ref)
            for s in sandboxes
        )
        return self._replace("sandbox", targets)

    def set_profiles(self, config: ConfigFile) -> bool:
        """The config file's desktop-host profiles."""
        return self._replace("profile", profile_targets(config))

    def set_local(self, hosts: Mapping[str, tuple[str, str | None]]) -> bool:
        """The local desktops: name -> (url, token)."""
        targets = (local_target(name, url, token) for name, (url, token) in hosts.items())
        return self._replace("local", targets)

    def targets(self) -> dict[str, FleetTarget]:
        """Every desktop, by key: local ones first, then profiles, then sandboxes in listing
        order."""
        return dict(self._merged)

    def __len__(self) -> int:
        return len(self._merged)

    def _replace(self, source: Source, targets: Iterable[FleetTarget]) -> bool:
        self._sources[source] = {t.key: t for t in targets}
        merged: dict[str, FleetTarget] = {}
        urls: set[str] = set()
        for name in _ORDER:
            for key, target in self._sources[name].items():
                url = target.ref.url if isinstance(target.ref, DesktopTarget) else None
                if key in merged or (url is not None and url in urls):
                    continue
                if url is not None:
                    urls.add(url)
                merged[key] = target
        changed = merged != self._merged
        self._merged = merged
        return changed

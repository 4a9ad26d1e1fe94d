"""FleetTargets merges the account's sandboxes, the config's desktop hosts and local desktops."""

from __future__ import annotations

from pathlib import Path

from core.config import read_config_file
from core.fleet_targets import FleetTargets
from core.references import DesktopTarget
from core.sandboxes import SandboxSummary


def row(sandbox_id: str, state: str = "running") -> SandboxSummary:
    return SandboxSummary.model_validate(
        {"id": sandbox_id, "template_id": "t", "state": state, "created_at": "2026-11-28T10:00:00Z"}
    )


def test_three_sources_one_keyed_set(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        """
[profiles.work]
api_key = "lp0_x"

[profiles.lab]
url = "http://10.0.0.5:8123"
token = "lab-token"

[profiles.twin]
url = "http://127.0.0.1:9001"
token = "same-as-local"
""",
        encoding="utf-8",
    )
    file, problems = read_config_file(config)
    assert problems == []
    targets = FleetTargets()
    assert targets.set_sandboxes([row("sbx-1"), row("sbx-2", "paused")])
    assert targets.set_profiles(file)
    assert targets.set_local({"desktop-1": ("http://127.0.0.1:9001", "local-token")})
    merged = targets.targets()
    assert list(merged) == ["local:desktop-1", "profile:lab", "sbx-1", "sbx-2"]
    lab = merged["profile:lab"]
    assert lab.ref == DesktopTarget("http://10.0.0.5:8123", token="lab-token", name="lab")
    assert lab.source == "profile" and lab.control_state is None
    # The local host named by a profile too is followed once, with the local host's token.
    local = merged["local:desktop-1"].ref
    assert isinstance(local, DesktopTarget) and local.token == "local-token"
    assert merged["sbx-1"].ref == "sbx-1" and merged["sbx-1"].followable
    paused = merged["sbx-2"]
    assert not paused.followable and paused.reason == "sandbox paused"
    assert paused.control_state == "paused"
    # The same listing again changes nothing; a deleted sandbox leaves.
    assert not targets.set_sandboxes([row("sbx-1"), row("sbx-2", "paused")])
    assert targets.set_sandboxes([row("sbx-1")])
    assert "sbx-2" not in targets.targets()

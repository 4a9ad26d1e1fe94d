"""Display, windows, screenshots and input against the real desktop, checked by a witness.

Each test opens real X clients (xterms) on the host's display and checks the API's effect
independently: xdotool for the pointer, xwininfo for window geometry, a file written by
``cat`` for typed text, the pixels of a window drawn in a known colour.
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import httpx
import pytest
from PIL import Image

from core.desktop import AsyncDesktopClient
from core.models import DesktopWindow
from tests.host.harness import HostProcess, started_processes
from tests.host.xclients import Geometry, XTerm, pointer, poll, run

RED = (255, 0, 0)


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


async def _env(client: AsyncDesktopClient, host: HostProcess) -> dict[str, str]:
    info = await client.display_info(host.url)
    return host.x_env(info.display)


async def test_health_display_and_screen(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    assert (await desktop_client.health(local_host.url)).ok
    info = await desktop_client.display_info(local_host.url)
    screen = await desktop_client.screen(local_host.url)
    assert info.display.startswith(":")
    assert (info.width, info.height) == (1440, 900)
    assert screen == info
    # The display really is that size.
    out = await run(["xdpyinfo"], local_host.x_env(info.display))
    assert "dimensions:    1440x900 pixels" in out


async def test_the_display_refuses_x_clients_without_its_cookie(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, tmp_path: Path
) -> None:
    env = await _env(desktop_client, local_host)
    assert oct(os.stat(env["XAUTHORITY"]).st_mode & 0o777) == "0o600"
    # Another local user's view: the display's socket, no cookie (an empty home, no file).
    stranger = {k: v for k, v in env.items() if k != "XAUTHORITY"} | {"HOME": str(tmp_path)}
    proc = await asyncio.create_subprocess_exec(
        "xdpyinfo", env=stranger, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode != 0
    assert b"unable to open display" in err


async def test_windows_lists_a_real_xterm_and_its_focus(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    env = await _env(desktop_client, local_host)
    async with await XTerm.open(
        env, "-geometry", "50x8+320+240", "-T", "leap0 window test"
    ) as term:
        geo = await term.geometry(env)
        await desktop_client.click(
            local_host.url, x=geo.x + geo.width // 2, y=geo.y + geo.height // 2
        )

        async def listed() -> list[DesktopWindow] | None:
            windows = await desktop_client.windows(local_host.url)
            mine = [w for w in windows if w.window_class and term.klass in w.window_class]
            return mine if mine and mine[0].focused else None

        mine = await poll(listed)
        assert mine, "the xterm is not listed as the focused window"
        window = mine[0]
        assert window.id is not None and int(window.id, 16) == term.window
        assert window.pid == term.proc.pid
        assert window.title == "leap0 window test"
        assert window.window_class == f"xterm.{term.klass}"
        assert (window.width, window.height) == (geo.width, geo.height)
        assert window.desktop is not None and window.host
        others = [w for w in await desktop_client.windows(local_host.url) if w.id != window.id]
        assert not any(w.focused for w in others)


async def _solid_xterm(env: dict[str, str], colour: str, where: str) -> XTerm:
    return await XTerm.open(
        env, "-geometry", where, "-bg", colour, "-fg", colour, "-cr", colour, "-b", "0", "+sb"
    )


async def test_a_region_screenshot_has_the_pixels_drawn_there(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    env = await _env(desktop_client, local_host)
    async with await _solid_xterm(env, "#ff0000", "30x8+260+180") as term:
        geo = await term.geometry(env)
        inner = Geometry(geo.x + 4, geo.y + 4, geo.width - 8, geo.height - 8)

        async def region_png() -> bytes | None:
            data = await desktop_client.screenshot_region(
                local_host.url, x=inner.x, y=inner.y, width=inner.width, height=inner.height
            )
            colours = Image.open(io.BytesIO(data)).convert("RGB").getcolors(1)
            return data if colours == [(inner.width * inner.height, RED)] else None

        png = await poll(region_png)
        assert png is not None, "the region is not all red"
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG"
        assert image.size == (inner.width, inner.height)

        # The GET route with the same region, as PNG and as JPEG.
        got = await desktop_client.screenshot(
            local_host.url, x=inner.x, y=inner.y, width=inner.width, height=inner.height
        )
        assert Image.open(io.BytesIO(got)).convert("RGB").getcolors(1) == [
            (inner.width * inner.height, RED)
        ]
        jpeg = await desktop_client.screenshot(
            local_host.url,
            image_format="jpeg",
            quality=90,
            x=inner.x,
            y=inner.y,
            width=inner.width,
            height=inner.height,
        )
        decoded = Image.open(io.BytesIO(jpeg))
        assert decoded.format == "JPEG"
        r, g, b = decoded.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
        assert r > 240 and g < 15 and b < 15

        # The whole screen: the right size, red where the xterm is, not red just outside.
        full = Image.open(
            io.BytesIO(await desktop_client.screenshot(local_host.url, image_format="png"))
        ).convert("RGB")
        assert full.size == (1440, 900)
        assert full.getpixel((geo.x + geo.width // 2, geo.y + geo.height // 2)) == RED
        assert full.getpixel((geo.x + geo.width + 30, geo.y + geo.height // 2)) != RED


async def test_jpeg_quality_changes_the_encoding(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    low = await desktop_client.screenshot(local_host.url, image_format="jpg", quality=5)
    high = await desktop_client.screenshot(local_host.url, image_format="jpeg", quality=95)
    assert Image.open(io.BytesIO(low)).size == (1440, 900)
    assert len(low) < len(high)


async def test_the_pointer_moves_clicks_drags_and_scrolls_where_asked(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    env = await _env(desktop_client, local_host)
    url = local_host.url
    moved = await desktop_client.move_pointer(url, x=123, y=456)
    assert (moved.x, moved.y) == (123, 456)
    assert await pointer(env) == (123, 456)
    position = await desktop_client.pointer_position(url)
    assert (position.x, position.y) == (123, 456)
    # Where it already is: no wait for a move that never comes.
    again = await desktop_client.move_pointer(url, x=123, y=456, http_timeout=5)
    assert (again.x, again.y) == (123, 456)
    clicked_here = await desktop_client.click(url, x=123, y=456, http_timeout=5)
    assert (clicked_here.x, clicked_here.y) == (123, 456)

    clicked = await desktop_client.click(url, x=700, y=10, button=1)
    assert (clicked.x, clicked.y) == (700, 10)
    assert await pointer(env) == (700, 10)
    still = await desktop_client.click(url, button=3)
    assert (still.x, still.y) == (700, 10)
    await desktop_client.press_key(url, key="Escape")  # close whatever the right click opened

    scrolled = await desktop_client.scroll(url, direction="down", amount=3)
    assert (scrolled.x, scrolled.y) == (700, 10)
    edge = await desktop_client.move_pointer(url, x=1439, y=899)
    assert (edge.x, edge.y) == (1439, 899)


async def test_a_drag_moves_a_real_window_by_its_title_bar(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    env = await _env(desktop_client, local_host)
    async with await XTerm.open(env, "-geometry", "40x6+400+300") as term:
        before = await term.geometry(env)
        extents = await run(["xprop", "-id", str(term.window), "_NET_FRAME_EXTENTS"], env)
        top = int(extents.split("=")[1].split(",")[2]) if "=" in extents else 20
        grab_x, grab_y = before.x + 60, before.y - max(top // 2, 4)
        end = await desktop_client.drag(
            local_host.url, from_x=grab_x, from_y=grab_y, to_x=grab_x + 150, to_y=grab_y + 90
        )
        assert (end.x, end.y) == (grab_x + 150, grab_y + 90)

        async def moved() -> Geometry | None:
            after = await term.geometry(env)
            return after if (after.x, after.y) != (before.x, before.y) else None

        after = await poll(moved, within=5)
        assert after is not None, "the window did not move"
        assert (after.x - before.x, after.y - before.y) == (150, 90)


async def test_typed_text_pressed_keys_and_hotkeys_reach_a_real_xterm(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, tmp_path: Path
) -> None:
    env = await _env(desktop_client, local_host)
    env["LC_ALL"] = "C.UTF-8"
    typed = tmp_path / "typed.txt"
    script = f"stty -echo; exec cat > {typed}"
    async with await XTerm.open(
        env, "-u8", "-geometry", "60x8+200+400", "-e", "sh", "-c", script
    ) as term:
        geo = await term.geometry(env)
        url = local_host.url
        await desktop_client.click(url, x=geo.x + geo.width // 2, y=geo.y + geo.height // 2)
        # ASCII, and more distinct non-ASCII characters than the keymap has spare keycodes.
        text = (
            "Hello, Leap0! 1+1=2 <ok> ~/a_b \"q\" 'q' $HOME {x} "
            "café ñandú Grüße €5 — “ÉÀ” Ω≈ç√∫ 漢字 ŁŻ"
        )
        assert await desktop_client.type_text(url, text=text)
        assert await desktop_client.press_key(url, key="Return")
        # A hotkey is one combination: ctrl+u kills the half-typed line in the terminal.
        assert await desktop_client.type_text(url, text="junk to be erased")
        assert await desktop_client.hotkey(url, keys=["ctrl", "u"])
        assert await desktop_client.type_text(url, text="second line")
        assert await desktop_client.press_key(url, key="KP_Enter")

        expected = f"{text}\nsecond line\n"

        async def written() -> str | None:
            content = _read(typed)
            return content if content == expected else None

        assert await poll(written) == expected, _read(typed)


async def test_typing_stops_when_the_client_gives_up(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    env = await _env(desktop_client, local_host)
    async with await XTerm.open(
        env, "-geometry", "60x8+200+400", "-e", "sh", "-c", "stty -echo; exec cat > /dev/null"
    ) as term:
        geo = await term.geometry(env)
        await desktop_client.click(
            local_host.url, x=geo.x + geo.width // 2, y=geo.y + geo.height // 2
        )
        headers = {"Authorization": f"Bearer {local_host.token}"}
        async with httpx.AsyncClient(base_url=local_host.url, headers=headers) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.post("/api/input/type", json={"text": "a" * 20_000}, timeout=1.5)

        async def xdotool_gone() -> bool | None:
            names = [_comm(pid) for pid in started_processes(local_host)]
            return True if "xdotool" not in names else None

        assert await poll(xdotool_gone, within=5), "xdotool kept typing for a client that left"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""

"""Following a log that the server sends whole (its last part) on every request.

The desktop API has no "lines since" query: ``GET /api/process/{name}/logs`` answers with
the end of the log each time. :class:`LogTail` works out what is new; the dashboard's log
viewer and ``leap0-tui logs -f`` both use it.
"""

from __future__ import annotations

__all__ = ["LogTail"]


class LogTail:
    """What is new in a log that the server sends whole every time.

    Remembers the length of the text seen last and its final characters. A new text that
    is at least as long and still has those characters at the same place has only grown:
    the rest is new. A server that sends only the end of a long log (the local host sends
    its last 256 KiB) slides that window on as the log grows: when a long text's final
    characters turn up earlier in the new one, what follows them is new. Anything else (the
    log was truncated, rotated or replaced) starts over.
    """

    _TAIL = 256

    def __init__(self) -> None:
        self.text = ""
        """The whole log as the server sent it last (for saving)."""

    def update(self, text: str) -> tuple[bool, str]:
        """Take the latest whole log; return ``(reset, new_text)``.

        ``reset`` is true when what was shown is no longer a prefix of the log, and
        ``new_text`` is then the whole log; otherwise ``new_text`` is what was appended.
        """
        old = self.text
        self.text = text
        n = len(old)
        if not n:
            return False, text
        tail = old[-self._TAIL :]
        if len(text) >= n and text[n - len(tail) : n] == tail:
            return False, text[n:]
        if n > self._TAIL:
            # The first match: a tail repeated in the log shows a line twice, never drops one.
            at = text.find(tail)
            if at >= 0:
                return False, text[at + len(tail) :]
        return True, text

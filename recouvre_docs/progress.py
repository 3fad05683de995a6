"""Progress reporting: the API reports stages and steps; the CLI shows a bar on a terminal only."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def stage(self, name: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def done(self) -> None: ...


class NullProgress:
    """The default for the API and tests: says nothing."""

    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass

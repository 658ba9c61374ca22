"""Serve the installed plotly package's `plotly.min.js` as `insights/vendor/plotly.min.js`.

The charts must work offline and under the site's CSP (scripts from 'self' only), so the
bundle comes from the Python package already installed, not a CDN, and not a 4.8 MB copy in the
repository: this finder exposes exactly that one file to `{% static %}`, WhiteNoise and
`collectstatic`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage
from django.core.checks import Error as CheckError
from django.core.files.storage import FileSystemStorage

PREFIX = "insights/vendor"
NAME = "plotly.min.js"
PATH = f"{PREFIX}/{NAME}"


def _storage() -> FileSystemStorage:
    storage = FileSystemStorage(location=Path(plotly.__file__).parent / "package_data")
    storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by collectstatic and WhiteNoise
    return storage


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if not _storage().exists(NAME):
            return [
                CheckError("plotly.min.js is missing from the plotly package.", id="caredesk.E040")
            ]
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = ...) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True]) -> list[str]: ...
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str] | None:
        find_all = find_all or bool(kwargs.get("all"))  # `all` is Django's older spelling
        if path != PATH:
            return [] if find_all else None
        found = _storage().path(NAME)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield NAME, _storage()

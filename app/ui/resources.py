"""Where the .tcss files live: top-level `styles/` in a checkout, `app/styles/` in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    """The folder holding the app's .tcss files."""
    installed = _PACKAGE / "styles"
    return installed if installed.is_dir() else _PACKAGE.parent / "styles"


def style_files(*names: str) -> list[Path]:
    """Paths of the named style sheets (all of them when no name is given)."""
    folder = styles_dir()
    if names:
        return [folder / name for name in names]
    return sorted(folder.glob("*.tcss"))

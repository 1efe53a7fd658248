"""Text that stays readable on a colour someone chose (a flag's badge): WCAG 2 contrast."""

from __future__ import annotations

import re

DARK = "#000000"
LIGHT = "#ffffff"
AA = 4.5  # WCAG AA for normal-size text; badges are small


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (or ``#rgb``)."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", digits):
        raise ValueError(f"not a colour: {colour!r}")
    r, g, b = (int(digits[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour_on(background: str) -> str:
    """White when it reads well enough on ``background`` (AA), else whichever of white and dark
    text contrasts more; dark text on what is not a colour."""
    try:
        on_light = contrast(background, LIGHT)
    except ValueError:
        return DARK
    if on_light >= AA:
        return LIGHT
    return LIGHT if on_light >= contrast(background, DARK) else DARK

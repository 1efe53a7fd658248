"""What other apps show on billing's screens, without billing knowing them.

- **Visit panels**: an app registers ``panel(request, visit) -> str`` (rendered HTML, or "" when
  it has nothing for this visit), shown beside the visit's lines (platform orders: the order to
  redeem at this visit, or the one redeemed here). Each panel checks its own permissions.
"""

from __future__ import annotations

from collections.abc import Callable

from clinic.registry import Registry

visit_panels: Registry[Callable] = Registry("visit page panels")


def render_visit_panels(request, visit) -> list[str]:
    return [html for html in (panel(request, visit) for panel in visit_panels) if html]

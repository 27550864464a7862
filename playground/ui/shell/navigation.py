"""The app's pages, in menu order: (script, title, icon); and which of them a visitor's menu shows."""
from __future__ import annotations

import os
from collections.abc import Mapping

from playground.serving.limits import server_page_on

PAGES = [
    ("app_pages/home.py", "Overview", ":material/target:"),
    ("app_pages/train.py", "Train live", ":material/play_circle:"),
    ("app_pages/labels.py", "Smoothed labels", ":material/label:"),
    ("app_pages/gradients.py", "Gradients", ":material/trending_down:"),
    ("app_pages/sweep.py", "ε sweep", ":material/stacked_line_chart:"),
    ("app_pages/calibration.py", "Calibration", ":material/tune:"),
    ("app_pages/alternatives.py", "Alternatives", ":material/compare_arrows:"),
    ("app_pages/representations.py", "Representations", ":material/scatter_plot:"),
    ("app_pages/distillation.py", "Distillation", ":material/school:"),
    ("app_pages/workshop.py", "Workshop", ":material/groups:"),
    ("app_pages/join.py", "Join a room", ":material/login:"),
    ("app_pages/facilitator.py", "Facilitate", ":material/co_present:"),
    ("app_pages/server.py", "Server", ":material/monitor_heart:"),
]
NEVER_LISTED = {"app_pages/join.py"}  # reached by its short address, /join, typed from the projector
FACILITATOR = "app_pages/facilitator.py"  # left out of a learner's menu in a room; its link still works
SERVER = "app_pages/server.py"
def menu(learner_in_room: bool, env: Mapping[str, str] = os.environ) -> list[tuple[str, str, str, bool]]:
    """The pages this visitor can open, (script, title, icon, listed in the menu): the server page
    only where the host turned it on; for a learner in a room, no Facilitate in the menu."""
    shown = []
    for path, title, icon in PAGES:
        if path == SERVER and not server_page_on(env):
            continue
        listed = path not in NEVER_LISTED and not (learner_in_room and path == FACILITATOR)
        shown.append((path, title, icon, listed))
    return shown

"""The app's pages, in menu order: (script, title, icon)."""
PAGES = [
    ("pages/home.py", "Overview", ":material/target:"),
    ("pages/train.py", "Train live", ":material/play_circle:"),
    ("pages/labels.py", "Smoothed labels", ":material/label:"),
    ("pages/gradients.py", "Gradients", ":material/trending_down:"),
    ("pages/sweep.py", "ε sweep", ":material/stacked_line_chart:"),
    ("pages/calibration.py", "Calibration", ":material/tune:"),
    ("pages/alternatives.py", "Alternatives", ":material/compare_arrows:"),
    ("pages/representations.py", "Representations", ":material/scatter_plot:"),
    ("pages/distillation.py", "Distillation", ":material/school:"),
    ("pages/workshop.py", "Workshop", ":material/groups:"),
    ("pages/facilitator.py", "Facilitate", ":material/co_present:"),
    ("pages/server.py", "Server", ":material/monitor_heart:"),
]

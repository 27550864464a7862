"""The app's pages, in menu order: (script, title, icon)."""
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
    ("app_pages/facilitator.py", "Facilitate", ":material/co_present:"),
    ("app_pages/server.py", "Server", ":material/monitor_heart:"),
]

"""The app's pages, in menu order: (script, title, icon)."""
PAGES = [
    ("pages/home.py", "Smoothed targets", ":material/target:"),
    ("pages/train.py", "Train live", ":material/play_circle:"),
]

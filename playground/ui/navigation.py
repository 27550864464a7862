"""The app's pages, in menu order: (script, title, icon)."""
PAGES = [
    ("pages/home.py", "Smoothed targets", "🎯"),
]

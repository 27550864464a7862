"""Label Smoothing Playground: the pure library (no Streamlit outside `playground.ui`)."""

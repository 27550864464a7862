"""The only part of the library that imports streamlit: shared controls, state and messages."""

"""The Streamlit UI: the only package that imports streamlit."""

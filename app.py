"""Streamlit entry point: routing only. Pages live in qualcode/ui/pages/."""

from qualcode.ui.app import main

main()

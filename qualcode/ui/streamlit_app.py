"""The Streamlit script `qualcode app` runs: routing only (pages live in qualcode/ui/pages/).

It ships inside the package, so an installed qualcode starts the app without a checkout;
the repository's ``app.py`` runs the same ``main()``.
"""

from qualcode.ui.app import main

if __name__ == "__main__":  # Streamlit runs a script as __main__; importing it does nothing
    main()

"""The Streamlit script `qualcode app` runs: routing only (pages live in qualcode/ui/pages/).

It ships inside the package (package data), so an installed qualcode starts the app
without a checkout; the repository's ``app.py`` runs the same ``main()``. It lives in
qualcode/data/, not next to qualcode/ui/pages/: Streamlit would take a ``pages/`` folder
beside its script for old-style pages and serve /documents as a bare module.
"""

from qualcode.ui.app import main

if __name__ == "__main__":  # Streamlit runs a script as __main__; importing it does nothing
    main()

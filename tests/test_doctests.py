"""The examples in the package's docstrings are run: a message's exact words, a helper's
output. They were written as documentation and checked by hand; here they are tests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import qualcode

MODULES = sorted(m.name for m in pkgutil.walk_packages(qualcode.__path__, "qualcode.")
                 if ".migrations" not in m.name)  # alembic's env.py runs on import


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (output above)"

"""Analysis: pure functions over compact frames (see :class:`qualcode.analysis.facts.Facts`)
returning pandas DataFrames, one module per noun: ``frequencies`` (frequencies, crosstab),
``compare`` (tests across groups), ``cooccurrence`` (co-occurrence, case matrix),
``retrieve`` (the quotes behind a number), ``charts`` (Altair). Agreement between coders
lives in ``agreement.py``.

Functions are not re-exported here: their names equal their modules' names.
"""

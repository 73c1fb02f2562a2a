"""measure: what paiban's builds cost — measurement, not product.

In: a seed and the project root.
Out: ``bench.run``: the stage-by-stage and whole-process table behind ``paiban bench``
(``make bench``).  Nothing in the editions' path imports this package; the product
is ``stages`` and what it calls.
"""

"""The workflow patterns, one module each, built on the engine (chapters 01 onwards).

Import a pattern by its module; this package imports nothing, so you only pay for what you use::

    chain       sequential chain with typed contracts: extract -> validate -> format  (chapter 01)
    mapreduce   fan out over items, then reduce                                       (chapter 02)
    vote        the same question N times, majority or consensus, fail closed         (chapter 02)
    router      classify, then branch to a specialised route                          (chapter 03)
    evaluator   evaluator-optimizer: generate -> grade -> regenerate, bounded         (chapter 04)
    plan        plan-then-execute: typed plan, checked, run step by step, re-planned  (chapter 05)
    context     a token budget on carried notes, folded by a summary step             (chapter 06)

    >>> from orchestra.patterns import chain
    >>> wf = chain.product_chain(llm, repairs=1)
"""

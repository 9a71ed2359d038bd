"""Workflows the chapters run as programs of their own (a subprocess to kill, in chapter 08),
or share with a test file they run (the support pipeline and its tests, in chapter 10), or
share with their exercise (the support desk's tools and requests that chapter 05 plans over).

They sit in the package, not beside the notebooks, so that a chapter imports and runs them the
same way from any working directory: ``python -m orchestra.examples.long_workflow ...``.
They use only the public API, like a chapter.
"""

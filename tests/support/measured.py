"""Figures the slower tests measure, printed at the end of the run (CI logs):
tests append a line, tests/conftest.py prints them."""

from typing import List

MEASURED: List[str] = []

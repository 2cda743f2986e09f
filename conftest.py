"""Test-session settings shared by the tests and the notebooks run through nbmake."""

import os

# Notebooks run top to bottom in the test suite on their small setting (the same code as the full one);
# set NOTEBOOK_QUICK=0 to run them at full size.
os.environ.setdefault("NOTEBOOK_QUICK", "1")

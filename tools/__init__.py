"""Commands that measure the app rather than test it: the load generators, the capacity and
frame-rate probes, page times. Run each as `python -m tools.NAME --help`; their figures depend on
the machine, so they print them and decide nothing (tests/ holds the tests)."""

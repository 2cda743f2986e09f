"""Many runs of a model: sweeps and where they execute, their analyses, calibration and the theory's experiments.

``sweep`` runs a sweep (``sweep_spec`` reads its file, ``designs`` samples its points, ``executors`` run it,
``results`` keeps its results directory, ``provenance`` and ``limits`` guard it; ``sweep_store`` is its old name,
kept for older callers); ``sensitivity``, ``discovery``, ``sweep_analysis`` and ``analysis_lang`` analyse it;
``compare`` and ``plots`` compare configurations; ``theory`` holds the guardian theory's experiments,
``patterns``, ``robustness``, ``budget``, ``yardsticks``, ``standalone`` and ``claims`` where the theory holds;
``calibration`` fits parameters to survey figures (in a results directory too); ``atomic`` writes every file.
"""

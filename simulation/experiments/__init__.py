"""Many runs of a model: sweeps and where they execute, their analyses, calibration and the theory's experiments.

``sweep`` runs a sweep (``sweep_spec`` reads its file, ``designs`` samples its points, ``executors`` and
``sweep_worker`` run it, ``sweep_store`` keeps its results, ``provenance`` and ``limits`` guard it);
``sensitivity``, ``discovery``, ``sweep_analysis`` and ``analysis_lang`` analyse it; ``compare`` and ``plots``
compare configurations; ``theory`` holds the guardian theory's experiments, ``patterns``, ``robustness`` and
``budget`` where the theory holds; ``calibration`` fits parameters to survey figures.
"""

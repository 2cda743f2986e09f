"""The Solara dashboard: the page, its drawings and lessons, one browser tab's state, and the server.

``app`` (Solara components) draws with ``views`` and teaches with ``lessons`` / ``lessons_view``; ``session`` is
what one browser tab holds, ``sessions`` how many tabs the server serves and when a tab's model is freed;
``server`` starts it as a local web server; ``prose`` reads its long texts (Markdown files in ``prose/<lang>/``) and
renders any Markdown. Importing this package does not import Solara: the command line starts the server through
``server``.
"""

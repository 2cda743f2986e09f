"""The community model (docs/ODD.md): one month of government, committee, organisations, party cells and residents.

``community`` holds the Mesa model and its month, phase by phase; ``agents`` the institutions as Mesa agents and
the ``World`` they and the mechanisms read of the model; ``residents``, ``population`` and ``network`` the
residents at array speed on Mesa's network space; ``problems``, ``organisations``, ``dependency``, ``supervision``
and ``policy`` the mechanisms, each in its own file with its parameters in ``parameters``; ``stages`` and
``measures`` what is reported; ``parameters`` and ``scenarios`` the inputs; ``runner`` one run and its summary.
Only this package and ``runner`` import ``community``: the other modules import one way (tests/test_layout.py).
"""

from .community import CommunityModel

__all__ = ["CommunityModel"]  # so that a sweep file's `model = "simulation.model:CommunityModel"` resolves

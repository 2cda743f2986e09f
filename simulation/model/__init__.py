"""The community model (docs/ODD.md): one month of government, committee, organisations, party cells and residents.

``community`` holds the Mesa model and its month; ``agents`` the institutions as Mesa agents; ``residents``,
``population`` and ``network`` the residents at array speed on Mesa's network space; ``problems``,
``organisations``, ``dependency``, ``supervision`` and ``policy`` the mechanisms; ``stages`` and ``measures``
what is reported; ``parameters`` and ``scenarios`` the inputs; ``runner`` one run and its summary.
"""

from .community import CommunityModel

__all__ = ["CommunityModel"]  # so that a sweep file's `model = "simulation.model:CommunityModel"` resolves

# The one place the package version lives (hatch reads it; so does the User-Agent).
__version__ = "0.1.0"
"""The version of crewai-amp-client (also sent in the User-Agent)."""

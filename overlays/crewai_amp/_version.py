# The one place the package version lives (hatch reads it; so does the User-Agent).
__version__ = "0.1.0"

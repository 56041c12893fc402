"""The generation pipeline: specs/ -> generated/. Run as `python -m generator`."""

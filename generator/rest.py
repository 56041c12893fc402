"""Stage 3: the REST client. Input: the (overlaid) OpenAPI document. Output: the package
``crewai_amp_api`` (attrs models + httpx operations) written by openapi-python-client into a
directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).parent / "openapi-python-client.yaml"
PACKAGE = "crewai_amp_api"
# The overlaid document the package was generated from, shipped inside it: the emulator
# validates requests against exactly the spec the client speaks.
SPEC_FILE = "openapi.json"


class GeneratorFailed(Exception):
    """A code generator exited non-zero; the message carries its output."""


def _tool(name: str) -> str:
    # The console scripts live beside the interpreter running the pipeline (the nox venv).
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def generate_rest(document: dict[str, Any], out_dir: Path) -> Path:
    """Generate the REST package into ``out_dir / crewai_amp_api`` and return that path."""
    with tempfile.TemporaryDirectory(prefix="amp-rest-") as tmp:
        spec_path = Path(tmp) / "openapi.json"
        spec_path.write_text(json.dumps(document, indent=2, sort_keys=False), "utf-8")
        target = Path(tmp) / PACKAGE
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = subprocess.run(
            [
                _tool("openapi-python-client"),
                "generate",
                "--path",
                str(spec_path),
                "--config",
                str(CONFIG),
                "--meta",
                "none",
                "--output-path",
                str(target),
                "--overwrite",
                "--fail-on-warning",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
        )
        if result.returncode != 0:
            raise GeneratorFailed(f"openapi-python-client failed:\n{result.stdout}{result.stderr}")
        shutil.rmtree(target / ".ruff_cache", ignore_errors=True)
        destination = out_dir / PACKAGE
        shutil.copytree(target, destination)
    (destination / "py.typed").write_text("", "utf-8")
    (destination / SPEC_FILE).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return destination

"""pytest plugin: the `amp_emulator` fixture, a running `AmpEmulator` per test.

```python
def test_my_integration(amp_emulator):
    client = AmpClient(base_url=amp_emulator.base_url, token=amp_emulator.token)
    ...
```

Configure it per test (or per module/class) with the `amp_emulator` marker, whose keyword
arguments go to `AmpEmulator(...)`:

```python
@pytest.mark.amp_emulator(crew=default_crew(review=["write"]), scale=0.05)
def test_review(amp_emulator): ...


@pytest.mark.amp_emulator(dialect="observed")  # answer as deployed AMP crews do
def test_against_deployed_shapes(amp_emulator): ...
```

The fixture runs crews at `scale=0.01` unless told otherwise. This module is loaded in every
pytest run of anyone who installs the package, so it imports nothing beyond pytest at import
time: the emulator (and its extra, starlette + uvicorn) loads inside the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from crewai_amp.testing import AmpEmulator

DEFAULT_SCALE = 0.01


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "amp_emulator(**kwargs): arguments for the amp_emulator fixture's AmpEmulator(...) "
        "(crew=, dialect=, scale=, faults=, seed=, token=, webhook_secret=, ...)",
    )


@pytest.fixture
def amp_emulator(request: pytest.FixtureRequest) -> Iterator[AmpEmulator]:
    """A started [AmpEmulator][crewai_amp.testing.AmpEmulator] on 127.0.0.1 (ephemeral port),
    stopped after the test. Exposes `.base_url`, `.token`, `.webhook_secret`, `.faults`,
    `.kickoff_count`. The `amp_emulator` marker's keyword arguments go to `AmpEmulator(...)`
    (the closest marker wins); crews run at `scale=0.01` unless it says otherwise.

    ```python
    @pytest.mark.amp_emulator(dialect="observed")
    def test_my_integration(amp_emulator):
        client = AmpClient(base_url=amp_emulator.base_url, token=amp_emulator.token)
        assert client.inputs() == ["topic", "target_audience", "depth"]
    ```
    """
    try:
        from crewai_amp.testing._emulator import AmpEmulator
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        if exc.name not in ("starlette", "uvicorn"):
            raise
        pytest.fail(
            f"the amp_emulator fixture needs the emulator extra ({exc.name} is missing): "
            "pip install 'crewai-amp-client[emulator]'",
            pytrace=False,
        )
    options: dict[str, Any] = {"scale": DEFAULT_SCALE}
    # Closest marker wins: a test's marker overrides its class's, which overrides its module's.
    for marker in reversed(list(request.node.iter_markers("amp_emulator"))):
        if marker.args:
            raise pytest.UsageError("the amp_emulator marker takes keyword arguments only")
        options.update(marker.kwargs)
    emulator = AmpEmulator(**options)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()

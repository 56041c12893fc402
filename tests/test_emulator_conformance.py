"""Schemathesis over the emulator with the REST spec as written: every answer to generated
(valid and invalid) requests must conform to the spec, with zero failures.

The spec is loaded as written, not through the kickoff-id overlay: the emulator issues UUIDs
(as AMP does), so its answers satisfy `format: uuid` and the overlay's relaxed view alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conftest import REST_SPEC
from crewai_amp.testing import AmpEmulator, Crew, Task, default_crew
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES

TOKEN = "conformance-token"


# Two crews: the default one (random inputs rarely name all three of its inputs, so most
# kickoffs are 422) and one that needs no inputs (every schema-valid kickoff starts a crew, so
# the 200 answers and the resume-of-a-running-crew path are exercised too).
CREWS = {
    "default-crew": default_crew(),
    "no-inputs-crew": Crew(
        inputs=(),
        tasks=(
            Task(id="t-1", agent="Researcher", output="notes", duration=1.0),
            Task(id="t-2", agent="Writer", output="report", duration=1.0, human_review=True),
        ),
    ),
}


@pytest.fixture(scope="module", params=list(CREWS))
def conformance_emulator(request: pytest.FixtureRequest) -> Iterator[AmpEmulator]:
    # Generated kickoffs carry webhook URLs on any host: keep the deliveries off the network.
    with AmpEmulator(
        CREWS[request.param], scale=0.01, token=TOKEN, seed=0, webhook_hosts={"127.0.0.1"}
    ) as emulator:
        yield emulator


@pytest.fixture
def api_schema(conformance_emulator: AmpEmulator) -> Any:
    config = SchemathesisConfig.from_dict(
        {
            "base-url": conformance_emulator.base_url,
            "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
            "operations": [
                {
                    # A schema-valid kickoff can still lack the crew's inputs: `inputs` is a
                    # free-form object, and which keys a crew needs is not in the spec (it is
                    # GET /inputs). The spec declares 422 for exactly that, so 422 is an
                    # accepted answer to valid data here; everything else stays the default.
                    "include-path": "/kickoff",
                    "include-method": "POST",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "422"]
                        }
                    },
                }
            ],
        }
    )
    return schemathesis.openapi.from_path(REST_SPEC, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_emulator_conforms_to_the_rest_spec(case: Any) -> None:
    case.call_and_validate()

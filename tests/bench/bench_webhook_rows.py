"""Benchmark 3: webhook verify + parse.

unwrap() against standardwebhooks' verify + pydantic model_validate (what a user would write
with the reference package, its Webhook object built once): with the secret as a string and the
channel known (a receiver per webhook URL; target ≤ 0.7×), with a Verifier built once (≤ 0.7×),
with the channel inferred from the payload (< 1.0×); and against the floor: bare hmac +
json.loads, no typed model.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

EVENTS = 2000


def _events() -> list[tuple[bytes, dict[str, str]]]:
    from crewai_amp.webhooks import sign

    out = []
    for index in range(EVENTS):
        payload = {
            "kickoff_id": f"k-{index}",
            "task_id": f"t-{index % 5}",
            "agent": "Researcher",
            "status": "completed",
            "output": "Market summary " * 20,
            "execution_time": 12.4,
            "meta": {"requestId": index},
        }
        body = json.dumps(payload).encode()
        out.append((body, sign(body, secret=SECRET, msg_id=f"msg_{index}")))
    return out


SECRET = "whsec_" + base64.b64encode(b"bench-secret-bench-secret-bench!").decode()


def rows(quick: bool, Row: Any, interleaved: Any, summary: Any) -> list[Any]:
    import standardwebhooks
    from crewai_amp.webhooks import Verifier, unwrap
    from crewai_amp_events import TaskCompletedPayload

    events = _events()
    rounds = 3 if quick else 7
    reference = standardwebhooks.Webhook(SECRET)
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    verifier = Verifier(SECRET)

    def ours() -> float:
        started = time.perf_counter()
        for body, headers in events:
            unwrap(body, headers, secret=SECRET, channel="task")
        return time.perf_counter() - started

    def ours_inferred() -> float:
        started = time.perf_counter()
        for body, headers in events:
            unwrap(body, headers, secret=SECRET)
        return time.perf_counter() - started

    def ours_verifier() -> float:
        started = time.perf_counter()
        for body, headers in events:
            unwrap(body, headers, secret=verifier, channel="task")
        return time.perf_counter() - started

    def theirs() -> float:
        started = time.perf_counter()
        for body, headers in events:
            TaskCompletedPayload.model_validate(reference.verify(body, headers))
        return time.perf_counter() - started

    def floor() -> float:
        started = time.perf_counter()
        for body, headers in events:
            signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
            expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(expected, headers["webhook-signature"][3:]):
                raise AssertionError
            json.loads(body)
        return time.perf_counter() - started

    ours_t, theirs_t = interleaved(rounds, ours, theirs)
    ours_t2, floor_t = interleaved(rounds, ours, floor)
    verifier_t, theirs_t2 = interleaved(rounds, ours_verifier, theirs)
    inferred_t, theirs_t3 = interleaved(rounds, ours_inferred, theirs)
    vs_ref, vs_ref_spread = summary([a / b for a, b in zip(ours_t, theirs_t, strict=True)])
    vs_ref_v, vs_ref_v_spread = summary([a / b for a, b in zip(verifier_t, theirs_t2, strict=True)])
    vs_floor, vs_floor_spread = summary([a / b for a, b in zip(ours_t2, floor_t, strict=True)])
    vs_ref_i, vs_ref_i_spread = summary([a / b for a, b in zip(inferred_t, theirs_t3, strict=True)])
    per_event = {"unwrap_us": min(ours_t) / EVENTS * 1e6, "reference_us": min(theirs_t) / EVENTS * 1e6}
    return [
        Row(
            "webhook verify+parse",
            f"unwrap(secret=str, channel) / standardwebhooks verify + model_validate, {EVENTS} events",
            vs_ref,
            "×",
            "≤ 0.7×",
            vs_ref <= 0.7,
            vs_ref_spread,
            per_event,
        ),
        Row(
            "webhook verify+parse",
            f"unwrap(secret=str), channel inferred / standardwebhooks verify + model_validate, {EVENTS} events",
            vs_ref_i,
            "×",
            "< 1.0× (faster)",
            vs_ref_i < 1.0,
            vs_ref_i_spread,
            {"unwrap_inferred_us": min(inferred_t) / EVENTS * 1e6},
        ),
        Row(
            "webhook verify+parse",
            f"unwrap(secret=Verifier) / standardwebhooks verify + model_validate, {EVENTS} events",
            vs_ref_v,
            "×",
            "≤ 0.7×",
            vs_ref_v <= 0.7,
            vs_ref_v_spread,
            {"unwrap_verifier_us": min(verifier_t) / EVENTS * 1e6},
        ),
        Row(
            "webhook verify+parse",
            "unwrap() / bare hmac + json.loads (the floor)",
            vs_floor,
            "×",
            "≤ 2.0×",
            vs_floor <= 2.0,
            vs_floor_spread,
            {"floor_us": min(floor_t) / EVENTS * 1e6},
        ),
    ]

"""Kickoff options that deployed AMP documents beyond the seed spec, read for their behaviour.

CrewAI's webhook-streaming docs add `"webhooks": {"events", "url", "realtime",
"authentication"}`, its HITL docs `"humanInputWebhook": {"url", "authentication"}` (the platform
docs: `"humanInputWebhookUrl"`, a URL), and its
kickoff reference `restoreFromStateId`. The spec validation runs first (so once the spec
declares these fields, its schema is what refuses a bad one); these models only read what the
emulator acts on, and turn a shape it cannot act on into a 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._spec import Problem
from ._webhook_sender import Auth, BasicAuth, BearerAuth

__all__ = ["HumanInputWebhook", "KickoffOptions", "StreamingWebhooks", "read_options"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, hide_input_in_errors=True)


class Authentication(_Model):
    strategy: Literal["bearer", "basic"]
    token: str | None = Field(default=None, repr=False)
    username: str | None = None
    password: str | None = Field(default=None, repr=False)

    def auth(self) -> Auth:
        if self.strategy == "bearer":
            if self.token is None:
                raise ValueError("the bearer strategy needs a token")
            return BearerAuth(self.token)
        if self.username is None or self.password is None:
            raise ValueError("the basic strategy needs a username and a password")
        return BasicAuth(self.username, self.password)


class _Target(_Model):
    url: str
    authentication: Authentication | None = None

    @model_validator(mode="after")
    def _complete_credential(self) -> _Target:
        if self.authentication is not None:
            self.authentication.auth()  # refuses an incomplete credential up front
        return self

    def auth(self) -> Auth | None:
        return None if self.authentication is None else self.authentication.auth()


class StreamingWebhooks(_Target):
    events: frozenset[str] | None = None
    realtime: bool = False


class HumanInputWebhook(_Target):
    pass


class KickoffOptions(_Model):
    webhooks: StreamingWebhooks | None = None
    humanInputWebhook: HumanInputWebhook | None = None
    humanInputWebhookUrl: str | None = None
    restoreFromStateId: str | None = None


def read_options(data: Mapping[str, Any]) -> tuple[KickoffOptions | None, list[Problem]]:
    """The options of a kickoff body, or the problems that stop the emulator acting on them."""
    given = {name: data[name] for name in KickoffOptions.model_fields if name in data}
    try:
        return KickoffOptions.model_validate(given), []
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(part) for part in error["loc"]), error["msg"])
            for error in exc.errors(include_input=False, include_url=False)
        ]
        return None, problems

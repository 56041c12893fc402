# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.observed_status import ObservedStatus
from ...models.status_completed import StatusCompleted
from ...models.status_error import StatusError
from ...models.status_pending_human_input import StatusPendingHumanInput
from ...models.status_running import StatusRunning
from ...types import Response


def _get_kwargs(
    kickoff_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/status/{kickoff_id}".format(
            kickoff_id=quote(str(kickoff_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    Error
    | ObservedStatus
    | StatusCompleted
    | StatusError
    | StatusPendingHumanInput
    | StatusRunning
    | None
):
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> (
            ObservedStatus
            | StatusCompleted
            | StatusError
            | StatusPendingHumanInput
            | StatusRunning
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_status_response_type_0 = StatusRunning.from_dict(data)

                return componentsschemas_status_response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_status_response_type_1 = StatusCompleted.from_dict(
                    data
                )

                return componentsschemas_status_response_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_status_response_type_2 = StatusError.from_dict(data)

                return componentsschemas_status_response_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_status_response_type_3 = (
                    StatusPendingHumanInput.from_dict(data)
                )

                return componentsschemas_status_response_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = ObservedStatus.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[
    Error
    | ObservedStatus
    | StatusCompleted
    | StatusError
    | StatusPendingHumanInput
    | StatusRunning
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    kickoff_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    Error
    | ObservedStatus
    | StatusCompleted
    | StatusError
    | StatusPendingHumanInput
    | StatusRunning
]:
    """Get Kickoff Status

     Returns the current status of a crew execution identified by `kickoff_id`. The response
    shape varies by state: `running` includes current task and progress; `completed` includes
    per-task outputs and total execution time; `error` includes an error message.

    Args:
        kickoff_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ObservedStatus | StatusCompleted | StatusError | StatusPendingHumanInput | StatusRunning]
    """

    kwargs = _get_kwargs(
        kickoff_id=kickoff_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    kickoff_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> (
    Error
    | ObservedStatus
    | StatusCompleted
    | StatusError
    | StatusPendingHumanInput
    | StatusRunning
    | None
):
    """Get Kickoff Status

     Returns the current status of a crew execution identified by `kickoff_id`. The response
    shape varies by state: `running` includes current task and progress; `completed` includes
    per-task outputs and total execution time; `error` includes an error message.

    Args:
        kickoff_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ObservedStatus | StatusCompleted | StatusError | StatusPendingHumanInput | StatusRunning
    """

    return sync_detailed(
        kickoff_id=kickoff_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    kickoff_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    Error
    | ObservedStatus
    | StatusCompleted
    | StatusError
    | StatusPendingHumanInput
    | StatusRunning
]:
    """Get Kickoff Status

     Returns the current status of a crew execution identified by `kickoff_id`. The response
    shape varies by state: `running` includes current task and progress; `completed` includes
    per-task outputs and total execution time; `error` includes an error message.

    Args:
        kickoff_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ObservedStatus | StatusCompleted | StatusError | StatusPendingHumanInput | StatusRunning]
    """

    kwargs = _get_kwargs(
        kickoff_id=kickoff_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    kickoff_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> (
    Error
    | ObservedStatus
    | StatusCompleted
    | StatusError
    | StatusPendingHumanInput
    | StatusRunning
    | None
):
    """Get Kickoff Status

     Returns the current status of a crew execution identified by `kickoff_id`. The response
    shape varies by state: `running` includes current task and progress; `completed` includes
    per-task outputs and total execution time; `error` includes an error message.

    Args:
        kickoff_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ObservedStatus | StatusCompleted | StatusError | StatusPendingHumanInput | StatusRunning
    """

    return (
        await asyncio_detailed(
            kickoff_id=kickoff_id,
            client=client,
        )
    ).parsed

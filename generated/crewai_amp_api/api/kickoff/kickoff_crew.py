# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.kickoff_request import KickoffRequest
from ...models.kickoff_response import KickoffResponse
from ...types import Response


def _get_kwargs(
    *,
    body: KickoffRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/kickoff",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | KickoffResponse | None:
    if response.status_code == 200:
        response_200 = KickoffResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | KickoffResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KickoffRequest,
) -> Response[Error | KickoffResponse]:
    """Kick Off Crew Execution

     Launches a crew execution with the supplied inputs and optional webhook callback URLs.
    Returns a `kickoff_id` you can use with `GET /status/{kickoff_id}` to poll progress
    or to correlate webhook events.

    Args:
        body (KickoffRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | KickoffResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: KickoffRequest,
) -> Error | KickoffResponse | None:
    """Kick Off Crew Execution

     Launches a crew execution with the supplied inputs and optional webhook callback URLs.
    Returns a `kickoff_id` you can use with `GET /status/{kickoff_id}` to poll progress
    or to correlate webhook events.

    Args:
        body (KickoffRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | KickoffResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KickoffRequest,
) -> Response[Error | KickoffResponse]:
    """Kick Off Crew Execution

     Launches a crew execution with the supplied inputs and optional webhook callback URLs.
    Returns a `kickoff_id` you can use with `GET /status/{kickoff_id}` to poll progress
    or to correlate webhook events.

    Args:
        body (KickoffRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | KickoffResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: KickoffRequest,
) -> Error | KickoffResponse | None:
    """Kick Off Crew Execution

     Launches a crew execution with the supplied inputs and optional webhook callback URLs.
    Returns a `kickoff_id` you can use with `GET /status/{kickoff_id}` to poll progress
    or to correlate webhook events.

    Args:
        body (KickoffRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | KickoffResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed

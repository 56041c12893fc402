# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.resume_request import ResumeRequest
from ...models.resume_response import ResumeResponse
from ...types import Response


def _get_kwargs(
    *,
    body: ResumeRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/resume",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | ResumeResponse | None:
    if response.status_code == 200:
        response_200 = ResumeResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

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
) -> Response[Error | ResumeResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ResumeRequest,
) -> Response[Error | ResumeResponse]:
    """Resume Crew with Human Feedback

     Resumes a crew execution that paused for human-in-the-loop review. Supply
    `execution_id` and `task_id`, the reviewer's `human_feedback`, and `is_approve`
    (`true` to proceed, `false` to retry the task with the feedback as additional context).

    Args:
        body (ResumeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ResumeResponse]
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
    body: ResumeRequest,
) -> Error | ResumeResponse | None:
    """Resume Crew with Human Feedback

     Resumes a crew execution that paused for human-in-the-loop review. Supply
    `execution_id` and `task_id`, the reviewer's `human_feedback`, and `is_approve`
    (`true` to proceed, `false` to retry the task with the feedback as additional context).

    Args:
        body (ResumeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ResumeResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ResumeRequest,
) -> Response[Error | ResumeResponse]:
    """Resume Crew with Human Feedback

     Resumes a crew execution that paused for human-in-the-loop review. Supply
    `execution_id` and `task_id`, the reviewer's `human_feedback`, and `is_approve`
    (`true` to proceed, `false` to retry the task with the feedback as additional context).

    Args:
        body (ResumeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | ResumeResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ResumeRequest,
) -> Error | ResumeResponse | None:
    """Resume Crew with Human Feedback

     Resumes a crew execution that paused for human-in-the-loop review. Supply
    `execution_id` and `task_id`, the reviewer's `human_feedback`, and `is_approve`
    (`true` to proceed, `false` to retry the task with the feedback as additional context).

    Args:
        body (ResumeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | ResumeResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed

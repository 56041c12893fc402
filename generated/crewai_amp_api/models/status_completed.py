# Generated from specs/crewai-amp-rest-api.openapi.yml (sha256 c3e31149331e6fb7) by `python -m generator`.
# Do not edit: change the spec, an overlay or the generator config, then run `nox -s generate`.
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_completed_status import StatusCompletedStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.last_executed_task import LastExecutedTask
    from ..models.status_completed_progress import StatusCompletedProgress
    from ..models.status_completed_result import StatusCompletedResult
    from ..models.triggered_by import TriggeredBy
    from ..models.usage_metrics import UsageMetrics


T = TypeVar("T", bound="StatusCompleted")


@_attrs_define
class StatusCompleted:
    status: StatusCompletedStatus
    result: None | StatusCompletedResult | Unset = UNSET
    execution_time: float | None | Unset = UNSET
    """ Total execution time in seconds. """
    usage_metrics: None | Unset | UsageMetrics = UNSET
    triggered_by: None | TriggeredBy | Unset = UNSET
    execution_origin: None | str | Unset = UNSET
    """ ui, schedule, trigger, chat, hitl-resume, replay or api. """
    last_executed_task: LastExecutedTask | None | Unset = UNSET
    flow_id: None | str | Unset = UNSET
    """ Set for a flow waiting for human feedback. """
    source: None | str | Unset = UNSET
    """ memory or application. """
    events: Any | Unset = UNSET
    """ Event summaries (no prompts or outputs), or null. """
    events_count: int | None | Unset = UNSET
    events_by_type: Any | Unset = UNSET
    """ Event counts by event type, or null. """
    last_event: Any | Unset = UNSET
    """ The last event summary, or null. """
    progress: None | StatusCompletedProgress | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.last_executed_task import LastExecutedTask
        from ..models.status_completed_progress import StatusCompletedProgress
        from ..models.status_completed_result import StatusCompletedResult
        from ..models.triggered_by import TriggeredBy
        from ..models.usage_metrics import UsageMetrics

        status = self.status.value

        result: dict[str, Any] | None | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        elif isinstance(self.result, StatusCompletedResult):
            result = self.result.to_dict()
        else:
            result = self.result

        execution_time: float | None | Unset
        if isinstance(self.execution_time, Unset):
            execution_time = UNSET
        else:
            execution_time = self.execution_time

        usage_metrics: dict[str, Any] | None | Unset
        if isinstance(self.usage_metrics, Unset):
            usage_metrics = UNSET
        elif isinstance(self.usage_metrics, UsageMetrics):
            usage_metrics = self.usage_metrics.to_dict()
        else:
            usage_metrics = self.usage_metrics

        triggered_by: dict[str, Any] | None | Unset
        if isinstance(self.triggered_by, Unset):
            triggered_by = UNSET
        elif isinstance(self.triggered_by, TriggeredBy):
            triggered_by = self.triggered_by.to_dict()
        else:
            triggered_by = self.triggered_by

        execution_origin: None | str | Unset
        if isinstance(self.execution_origin, Unset):
            execution_origin = UNSET
        else:
            execution_origin = self.execution_origin

        last_executed_task: dict[str, Any] | None | Unset
        if isinstance(self.last_executed_task, Unset):
            last_executed_task = UNSET
        elif isinstance(self.last_executed_task, LastExecutedTask):
            last_executed_task = self.last_executed_task.to_dict()
        else:
            last_executed_task = self.last_executed_task

        flow_id: None | str | Unset
        if isinstance(self.flow_id, Unset):
            flow_id = UNSET
        else:
            flow_id = self.flow_id

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        events = self.events

        events_count: int | None | Unset
        if isinstance(self.events_count, Unset):
            events_count = UNSET
        else:
            events_count = self.events_count

        events_by_type = self.events_by_type

        last_event = self.last_event

        progress: dict[str, Any] | None | Unset
        if isinstance(self.progress, Unset):
            progress = UNSET
        elif isinstance(self.progress, StatusCompletedProgress):
            progress = self.progress.to_dict()
        else:
            progress = self.progress

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if result is not UNSET:
            field_dict["result"] = result
        if execution_time is not UNSET:
            field_dict["execution_time"] = execution_time
        if usage_metrics is not UNSET:
            field_dict["usage_metrics"] = usage_metrics
        if triggered_by is not UNSET:
            field_dict["triggered_by"] = triggered_by
        if execution_origin is not UNSET:
            field_dict["execution_origin"] = execution_origin
        if last_executed_task is not UNSET:
            field_dict["last_executed_task"] = last_executed_task
        if flow_id is not UNSET:
            field_dict["flow_id"] = flow_id
        if source is not UNSET:
            field_dict["source"] = source
        if events is not UNSET:
            field_dict["events"] = events
        if events_count is not UNSET:
            field_dict["events_count"] = events_count
        if events_by_type is not UNSET:
            field_dict["events_by_type"] = events_by_type
        if last_event is not UNSET:
            field_dict["last_event"] = last_event
        if progress is not UNSET:
            field_dict["progress"] = progress

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.last_executed_task import LastExecutedTask
        from ..models.status_completed_progress import StatusCompletedProgress
        from ..models.status_completed_result import StatusCompletedResult
        from ..models.triggered_by import TriggeredBy
        from ..models.usage_metrics import UsageMetrics

        d = dict(src_dict)
        status = StatusCompletedStatus(d.pop("status"))

        def _parse_result(data: object) -> None | StatusCompletedResult | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = StatusCompletedResult.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StatusCompletedResult | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        def _parse_execution_time(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        execution_time = _parse_execution_time(d.pop("execution_time", UNSET))

        def _parse_usage_metrics(data: object) -> None | Unset | UsageMetrics:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_metrics_type_0 = UsageMetrics.from_dict(data)

                return usage_metrics_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UsageMetrics, data)

        usage_metrics = _parse_usage_metrics(d.pop("usage_metrics", UNSET))

        def _parse_triggered_by(data: object) -> None | TriggeredBy | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                triggered_by_type_0 = TriggeredBy.from_dict(data)

                return triggered_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TriggeredBy | Unset, data)

        triggered_by = _parse_triggered_by(d.pop("triggered_by", UNSET))

        def _parse_execution_origin(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        execution_origin = _parse_execution_origin(d.pop("execution_origin", UNSET))

        def _parse_last_executed_task(data: object) -> LastExecutedTask | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_executed_task_type_0 = LastExecutedTask.from_dict(data)

                return last_executed_task_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LastExecutedTask | None | Unset, data)

        last_executed_task = _parse_last_executed_task(
            d.pop("last_executed_task", UNSET)
        )

        def _parse_flow_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        flow_id = _parse_flow_id(d.pop("flow_id", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        events = d.pop("events", UNSET)

        def _parse_events_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        events_count = _parse_events_count(d.pop("events_count", UNSET))

        events_by_type = d.pop("events_by_type", UNSET)

        last_event = d.pop("last_event", UNSET)

        def _parse_progress(data: object) -> None | StatusCompletedProgress | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                progress_type_0 = StatusCompletedProgress.from_dict(data)

                return progress_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StatusCompletedProgress | Unset, data)

        progress = _parse_progress(d.pop("progress", UNSET))

        status_completed = cls(
            status=status,
            result=result,
            execution_time=execution_time,
            usage_metrics=usage_metrics,
            triggered_by=triggered_by,
            execution_origin=execution_origin,
            last_executed_task=last_executed_task,
            flow_id=flow_id,
            source=source,
            events=events,
            events_count=events_count,
            events_by_type=events_by_type,
            last_event=last_event,
            progress=progress,
        )

        status_completed.additional_properties = d
        return status_completed

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

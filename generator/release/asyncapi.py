"""The AsyncAPI walker: channels, their messages, operations and payload models of two AsyncAPI 3
documents, compared through the schema differ. Every payload is read by the SDK."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .changes import READ, Change, merge_directions, propagate, ref_name, refs_in, resolve, section, split
from .schemadiff import SchemaDiffer


def _payload(doc: Mapping[str, Any], message: Any) -> Any:
    message = resolve(doc, message)
    payload = message.get("payload", {}) if isinstance(message, dict) else {}
    if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
        payload = payload["schema"]  # a multi-format schema object
    return payload


def _asyncapi_directions(doc: Mapping[str, Any]) -> dict[str, set[str]]:
    # The SDK parses every webhook payload (parse_event), whatever the operation's action:
    # all of them are read.
    schemas = section(doc, "components", "schemas")
    messages = list(section(doc, "components", "messages").values())
    for channel in section(doc, "channels").values():
        messages.extend(((resolve(doc, channel) or {}).get("messages") or {}).values())
    seeds = [(name, READ) for message in messages for name in refs_in(_payload(doc, message), "schemas")]
    return propagate(schemas, seeds)


def _message_name(message: Any) -> str:
    return ref_name(message) or (message.get("name") if isinstance(message, dict) else None) or "?"


def diff_asyncapi(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every user-visible difference between two AsyncAPI 3 documents (events, payload fields)."""
    d = SchemaDiffer(old, new, "Webhooks")
    _diff_channels(d, old, new)
    _diff_operations(d, section(old, "operations"), section(new, "operations"))
    _diff_messages(d, old, new)
    directions = merge_directions(_asyncapi_directions(old), _asyncapi_directions(new))
    d.models(section(old, "components", "schemas"), section(new, "components", "schemas"), directions)
    return d.out


def _diff_channels(d: SchemaDiffer, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    old_channels = {k: resolve(old, v) for k, v in section(old, "channels").items()}
    new_channels = {k: resolve(new, v) for k, v in section(new, "channels").items()}
    channels = split(old_channels, new_channels)
    for name in channels.removed:
        d.emit(
            "channel-removed",
            f"channel {name}",
            "channel removed: these events are no longer sent",
            breaking=True,
        )
    for name in channels.added:
        description = str(new_channels[name].get("description", "")).strip()
        d.emit(
            "channel-added",
            f"channel {name}",
            f"channel added ({description or 'no description'})",
            breaking=False,
            additive=True,
        )
    for name in channels.common:
        channel, other = old_channels[name], new_channels[name]
        if channel.get("address") != other.get("address"):
            d.emit(
                "channel-changed",
                f"channel {name}",
                f"address {channel.get('address')!r} → {other.get('address')!r}",
                breaking=False,
            )
        old_msgs, new_msgs = channel.get("messages") or {}, other.get("messages") or {}
        messages = split(old_msgs, new_msgs)
        for key in messages.removed:
            d.emit(
                "message-removed",
                f"channel {name}",
                f"message {_message_name(old_msgs[key])} no longer sent here",
                breaking=True,
            )
        for key in messages.common:
            before, after = old_msgs[key], new_msgs[key]
            if ref_name(before) is None or ref_name(after) is None:
                d.schema(
                    _payload(old, before),
                    _payload(new, after),
                    f"channel {name} message {key}",
                    frozenset({READ}),
                )
            elif ref_name(before) != ref_name(after):
                d.emit(
                    "message-changed",
                    f"channel {name}",
                    f"message {key} is now {ref_name(after)} (was {ref_name(before)})",
                    breaking=True,
                )
        for key in messages.added:
            d.emit(
                "message-added",
                f"channel {name}",
                f"message {_message_name(new_msgs[key])} added",
                breaking=False,
                additive=True,
            )


def _diff_operations(d: SchemaDiffer, old_ops: Mapping[str, Any], new_ops: Mapping[str, Any]) -> None:
    ops = split(old_ops, new_ops)
    for name in ops.removed:
        d.emit("operation-removed", f"operation {name}", "operation removed", breaking=True)
    for name in ops.added:
        d.emit("operation-added", f"operation {name}", "operation added", breaking=False, additive=True)
    for name in ops.common:
        op, other = old_ops[name], new_ops[name]
        if op.get("action") != other.get("action"):
            d.emit(
                "operation-changed",
                f"operation {name}",
                f"action {op.get('action')!r} → {other.get('action')!r}",
                breaking=True,
            )
        if ref_name(op.get("channel")) != ref_name(other.get("channel")):
            d.emit(
                "operation-changed",
                f"operation {name}",
                f"channel {ref_name(op.get('channel'))} → {ref_name(other.get('channel'))}",
                breaking=True,
            )


def _diff_messages(d: SchemaDiffer, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    old_messages = section(old, "components", "messages")
    new_messages = section(new, "components", "messages")
    messages = split(old_messages, new_messages)
    for name in messages.removed:
        d.emit("message-removed", f"message {name}", f"event `{name}` removed", breaking=True)
    for name in messages.added:
        summary = str(resolve(new, new_messages[name]).get("summary", "")).strip()
        d.emit(
            "message-added",
            f"message {name}",
            f"event `{name}` added ({summary or 'no summary'})",
            breaking=False,
            additive=True,
        )
    for name in messages.common:
        before, after = resolve(old, old_messages[name]), resolve(new, new_messages[name])
        if before.get("contentType") != after.get("contentType"):
            d.emit(
                "message-changed",
                f"message {name}",
                f"contentType {before.get('contentType')!r} → {after.get('contentType')!r}",
                breaking=True,
            )
        if before.get("name") != after.get("name"):
            d.emit(
                "message-changed",
                f"message {name}",
                f"name {before.get('name')!r} → {after.get('name')!r}",
                breaking=False,
            )
        d.schema(_payload(old, before), _payload(new, after), f"message {name} payload", frozenset({READ}))

from __future__ import annotations

import msgspec
import pytest

from khorsyio import Context, Envelope, Error

from .contracts import UserIn, UserOut


def test_context_has_the_seed_fields() -> None:
    ctx = Context(user_id="u1", extra={"role": "admin"}, source="http")
    assert len(ctx.trace_id) == 16
    assert ctx.user_id == "u1"
    assert ctx.extra == {"role": "admin"}
    assert ctx.source == "http"
    assert ctx.timestamp > 0
    assert Context().trace_id != Context().trace_id


def test_envelope_create_forward_and_decode() -> None:
    env = Envelope.create(
        "user.create", UserIn(name="a"), source="http", user_id="u1", extra={"k": 1}
    )
    assert env.event_type == "user.create"
    assert env.trace_id == env.ctx.trace_id
    assert not env.is_error
    assert env.error is None
    assert env.decode(UserIn) is env.payload  # in memory: the object itself, no copy

    nxt = env.forward("user.created", UserOut(id=1, name="a"), source="CreateUser")
    assert nxt.trace_id == env.trace_id
    assert nxt.ctx.user_id == "u1"
    assert nxt.ctx.extra == {"k": 1}
    assert nxt.ctx.source == "CreateUser"


def test_envelope_create_joins_a_trace() -> None:
    env = Envelope.create("x", UserIn(), trace_id="abc123")
    assert env.trace_id == "abc123"


def test_decode_converts_dicts_and_json_with_validation() -> None:
    assert Envelope.create("x", {"name": "b"}).decode(UserIn) == UserIn(name="b")
    assert Envelope.create("x", b'{"name": "c"}').decode(UserIn) == UserIn(name="c")
    with pytest.raises(msgspec.ValidationError, match=r"\$\.name"):
        Envelope.create("x", {"name": 5}).decode(UserIn)


def test_error_from_keeps_the_trace() -> None:
    env = Envelope.create("user.create", UserIn(name="a"))
    err = Envelope.error_from(
        env, "boom", code="handler_error", source="CreateUser", details={"x": 1}
    )
    assert err.is_error
    assert err.event_type == "user.create.error"
    assert err.error == Error(
        code="handler_error",
        message="boom",
        source="CreateUser",
        trace_id=env.trace_id,
        details={"x": 1},
    )
    assert err.trace_id == env.trace_id

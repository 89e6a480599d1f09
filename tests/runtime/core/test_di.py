from __future__ import annotations

from typing import Any, Protocol

import pytest

from khorsyio import App, Bus, Context, Database, Handler, HttpClient, Settings, WiringError

from .contracts import UserIn, UserOut


class Mailer:
    def send(self, to: str) -> None: ...


class FancyMailer(Mailer): ...


class Sink(Handler[UserIn, None]):
    subscribes_to = "x"

    async def process(self, data: UserIn, ctx: Context) -> None:
        return None


def app() -> App:
    return App(settings=Settings())


async def test_seed_names_resolve_to_the_app_parts() -> None:
    seen: dict[str, Any] = {}

    class Seed(Sink):
        def __init__(self, db, client, bus, transport, app):  # type: ignore[no-untyped-def]
            seen.update(db=db, client=client, bus=bus, transport=transport, app=app)

    a = app()
    a.register(Seed)
    await a.startup()
    await a.shutdown()
    assert seen == {
        "db": a.db,
        "client": a.client,
        "bus": a.bus,
        "transport": a.transport,
        "app": a,
    }


async def test_annotations_resolve_by_type_whatever_the_name() -> None:
    seen: dict[str, Any] = {}

    class Typed(Sink):
        def __init__(self, database: Database, http: HttpClient, events: Bus, mail: Mailer) -> None:
            seen.update(database=database, http=http, events=events, mail=mail)

    a = app()
    mailer = FancyMailer()
    a.provide(Mailer, mailer)
    a.register(Typed)
    await a.startup()
    await a.shutdown()
    assert seen == {"database": a.db, "http": a.client, "events": a.bus, "mail": mailer}


async def test_a_subclass_provider_satisfies_a_base_annotation() -> None:
    seen: list[Any] = []

    class WantsBase(Sink):
        def __init__(self, mailer: Mailer) -> None:
            seen.append(mailer)

    a = app()
    fancy = FancyMailer()
    a.provide(FancyMailer, fancy)
    a.register(WantsBase)
    await a.startup()
    await a.shutdown()
    assert seen == [fancy]


async def test_custom_providers_by_name_and_defaults() -> None:
    seen: dict[str, Any] = {}

    class Named(Sink):
        def __init__(self, mailer, retries: int = 3) -> None:  # type: ignore[no-untyped-def]
            seen.update(mailer=mailer, retries=retries)

    a = app()
    a.provide("mailer", "smtp")
    a.register(Named)
    await a.startup()
    await a.shutdown()
    assert seen == {"mailer": "smtp", "retries": 3}


async def test_an_unknown_parameter_stops_startup_naming_handler_parameter_and_choices() -> None:
    """The seed TODO: a typo must not silently inject app."""

    class Typo(Sink):
        def __init__(self, dbb) -> None:  # type: ignore[no-untyped-def]
            self.db = dbb

    a = app()
    a.register(Typo)
    with pytest.raises(WiringError) as info:
        await a.startup()
    msg = str(info.value)
    assert "Typo.__init__: parameter 'dbb' cannot be resolved" in msg
    assert "by name: app, bus, client, db, router, settings, transport" in msg
    assert "app.provide" in msg
    assert not a.started


async def test_every_problem_is_reported_at_once() -> None:
    class One(Sink):
        def __init__(self, mailer: Mailer) -> None: ...

    class Two(Handler[UserIn, UserOut]):
        subscribes_to = "y"

        def __init__(self, cache) -> None:  # type: ignore[no-untyped-def]
            ...

        async def process(self, data: UserIn, ctx: Context) -> UserOut:
            return UserOut()

    a = app()
    a.register(One)
    a.register(Two)
    with pytest.raises(WiringError) as info:
        await a.startup()
    assert len(info.value.problems) == 2
    assert "One.__init__: parameter 'mailer' (Mailer)" in info.value.problems[0]
    assert "Two.__init__: parameter 'cache'" in info.value.problems[1]


async def test_a_named_provider_of_the_wrong_type_is_an_error() -> None:
    class Wants(Sink):
        def __init__(self, mailer: Mailer) -> None: ...

    a = app()
    a.provide("mailer", 42)
    a.register(Wants)
    with pytest.raises(
        WiringError, match="annotated Mailer but the provider named 'mailer' is a int"
    ):
        await a.startup()


def test_provide_checks_its_arguments() -> None:
    a = app()
    with pytest.raises(TypeError, match="not an instance of Mailer"):
        a.provide(Mailer, "not a mailer")
    with pytest.raises(ValueError, match="not a valid parameter name"):
        a.provide("not-a-name", 1)


async def test_protocol_annotations_resolve_by_name() -> None:
    class Sender(Protocol):
        def send(self, to: str) -> None: ...

    seen: list[Any] = []

    class P(Sink):
        def __init__(self, sender: Sender) -> None:
            seen.append(sender)

    a = app()
    m = Mailer()
    a.provide("sender", m)
    a.register(P)
    await a.startup()
    await a.shutdown()
    assert seen == [m]


async def test_a_provider_under_the_exact_name_wins_over_the_type_match() -> None:
    from khorsyio import Database

    seen: list[Any] = []

    class Report(Sink):
        def __init__(self, analytics_db: Database, db: Database) -> None:
            seen.extend([analytics_db, db])

    a = app()
    analytics = Database("sqlite+aiosqlite:///./analytics.db")
    a.provide("analytics_db", analytics)
    a.register(Report)
    await a.startup()
    await a.shutdown()
    assert seen == [analytics, a.db]

"""``/metrics``: the app's figures in the Prometheus text format (``khorsyio[metrics]``).

Served when HTTP_METRICS is true, through prometheus-client, from a registry of the app's
own (``app.prometheus.registry``: two apps in one process do not mix their figures).

Per handler (label ``handler``): ``khorsyio_handler_processed_total`` (attempts finished,
failed ones included), ``khorsyio_handler_errors_total``, ``khorsyio_handler_retries_total``,
``khorsyio_handler_dead_lettered_total``, ``khorsyio_handler_duration_seconds`` (a
histogram of the attempts), ``khorsyio_handler_in_flight`` (events being processed) and
``khorsyio_handler_queue_depth`` (events waiting). HTTP (labels ``method``, ``route`` the
path template such as ``/users/{id:int}``, ``status``): ``khorsyio_http_requests_total`` and
``khorsyio_http_request_duration_seconds``; requests that match no route are not counted.
socket.io: ``khorsyio_websocket_connections``. And prometheus-client's process and GC
figures. The handler figures are read at scrape time from ``app.bus.metrics`` (what
``bus.metrics.snapshot()`` shows) and from the subscriptions; each process of a
multi-worker server answers for itself.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from khorsyio.bus.metrics import DURATION_BUCKETS_MS, HandlerStats, TimedHandlerStats
from khorsyio.errors import SettingsError
from khorsyio.http.request import Request
from khorsyio.http.response import Response
from khorsyio.http.routes import Route
from khorsyio.types import Send

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

__all__ = ["METRICS_PATH", "PrometheusMetrics", "metrics_of"]

METRICS_PATH = "/metrics"
EXTRA_HINT = 'HTTP_METRICS=true needs prometheus-client: pip install "khorsyio[metrics]"'

_HTTP_BUCKETS_MS = DURATION_BUCKETS_MS
_INF = float("inf")


class _RequestStats:
    """The requests of one (method, route template, status): a count, buckets, a sum."""

    __slots__ = ("buckets", "count", "total_ms")

    def __init__(self) -> None:
        self.count = 0
        self.buckets = [0] * (len(_HTTP_BUCKETS_MS) + 1)
        self.total_ms = 0.0


def _cumulative(bounds_ms: tuple[float, ...], counts: list[int]) -> list[tuple[str, float]]:
    """Prometheus buckets (``le`` in seconds, cumulative counts) of per-bucket counts."""
    out: list[tuple[str, float]] = []
    total = 0
    for bound, n in zip((*bounds_ms, _INF), counts, strict=True):
        total += n
        out.append(("+Inf" if bound == _INF else repr(bound / 1000.0), total))
    return out


def _import_client() -> Any:
    try:
        import prometheus_client
    except ImportError as e:
        raise SettingsError(f"{EXTRA_HINT} ({e})") from None
    return prometheus_client


class _AppCollector:
    """Reads the bus's, the transport's and the HTTP figures when the registry is scraped."""

    def __init__(self, app: Any, requests: dict[tuple[str, str, int], _RequestStats]) -> None:
        self.app = app
        self.requests = requests

    def describe(self) -> list[Metric]:
        return []  # figures are read at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        bus = self.app.bus
        by = ["handler"]
        processed = CounterMetricFamily(
            "khorsyio_handler_processed", "Attempts a handler finished (failed included)", labels=by
        )
        errors = CounterMetricFamily("khorsyio_handler_errors", "Attempts that failed", labels=by)
        retries = CounterMetricFamily("khorsyio_handler_retries", "Attempts retried", labels=by)
        dead = CounterMetricFamily(
            "khorsyio_handler_dead_lettered", "Events kept as dead letters", labels=by
        )
        duration = HistogramMetricFamily(
            "khorsyio_handler_duration_seconds", "Duration of a handler's attempts", labels=by
        )
        stats: list[HandlerStats] = bus.metrics.handlers()
        for s in stats:
            processed.add_metric([s.name], s.processed)
            errors.add_metric([s.name], s.errors)
            retries.add_metric([s.name], s.retries)
            dead.add_metric([s.name], s.dead_lettered)
            if isinstance(s, TimedHandlerStats):
                duration.add_metric([s.name], _cumulative(s.bounds, s.buckets), s.total_ms / 1000.0)
        in_flight = GaugeMetricFamily(
            "khorsyio_handler_in_flight", "Events being processed", labels=by
        )
        queued = GaugeMetricFamily("khorsyio_handler_queue_depth", "Events waiting", labels=by)
        for sub in bus.subscriptions:
            in_flight.add_metric([sub.name], sub.inflight)
            queued.add_metric([sub.name], len(sub.backlog))
        ws = GaugeMetricFamily("khorsyio_websocket_connections", "Connected socket.io clients")
        ws.add_metric([], len(self.app.transport.connected_sids))
        yield from (processed, errors, retries, dead, duration, in_flight, queued, ws)
        yield from self._http()

    def _http(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        requests = CounterMetricFamily(
            "khorsyio_http_requests",
            "HTTP requests answered, by route template and status",
            labels=["method", "route", "status"],
        )
        latency = HistogramMetricFamily(
            "khorsyio_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            labels=["method", "route"],
        )
        by_route: dict[tuple[str, str], tuple[list[int], float]] = {}
        for (method, route, status), r in list(self.requests.items()):
            requests.add_metric([method, route, str(status)], r.count)
            counts, total = by_route.get((method, route), ([0] * len(r.buckets), 0.0))
            by_route[(method, route)] = (
                [a + b for a, b in zip(counts, r.buckets, strict=True)],
                total + r.total_ms,
            )
        for (method, route), (counts, total) in by_route.items():
            latency.add_metric([method, route], _cumulative(_HTTP_BUCKETS_MS, counts), total / 1000)
        yield requests
        yield latency


class PrometheusMetrics:
    """The app's Prometheus figures: its ``registry``, the HTTP after-hook, ``/metrics``.

    ``PrometheusMetrics(app)`` (the app builds it when HTTP_METRICS is true) gives the bus
    a duration histogram per handler, counts the HTTP requests and mounts ``/metrics``; it
    raises :class:`~khorsyio.errors.SettingsError` naming the extra when prometheus-client
    is not installed.
    """

    def __init__(self, app: Any) -> None:
        client = _import_client()
        from prometheus_client import gc_collector, platform_collector, process_collector

        self.app = app
        self.registry: CollectorRegistry = client.CollectorRegistry()
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self.requests: dict[tuple[str, str, int], _RequestStats] = {}
        """Counts by (method, route template, status), read at scrape time."""
        self.registry.register(_AppCollector(app, self.requests))
        self._generate: Callable[[CollectorRegistry], bytes] = client.generate_latest
        self.content_type: str = client.CONTENT_TYPE_LATEST
        app.bus.metrics.timed = True  # before the handlers are registered (at startup)
        app.router.after(self.observe_request)
        app.router.add(Route("GET", METRICS_PATH, self._serve, include_in_schema=False))

    def observe_request(self, req: Request) -> None:
        """The after-hook: count the request under its route template and status."""
        route = req.route
        key = (req.method, route.path if route is not None else "", req.status)
        r = self.requests.get(key)
        if r is None:
            r = self.requests[key] = _RequestStats()
        ms: float = req.state["duration_ms"]
        r.count += 1
        r.total_ms += ms
        r.buckets[bisect_left(_HTTP_BUCKETS_MS, ms)] += 1

    def exposition(self) -> bytes:
        """The text ``/metrics`` answers."""
        return self._generate(self.registry)

    async def _serve(self, req: Request, send: Send) -> None:
        await Response.raw(send, self.exposition(), content_type=self.content_type)


def metrics_of(app: Any) -> PrometheusMetrics | None:
    """The app's :class:`PrometheusMetrics` when HTTP_METRICS is true, else None."""
    return PrometheusMetrics(app) if app.settings.http.metrics else None

"""The CoT listener's counters as Prometheus metrics (registered on the app's registry)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from concord.cot.drops import CotStats
from concord.cot.listener import CotListener


class CotCollector(Collector):
    def __init__(self, listener: CotListener) -> None:
        self._listener = listener

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats: CotStats = self._listener.stats
        yield CounterMetricFamily("concord_cot_received", "CoT events received", value=stats.received)
        yield CounterMetricFamily("concord_cot_delivered", "CoT frames written to clients", value=stats.delivered)
        yield CounterMetricFamily("concord_cot_connections", "CoT connections accepted", value=stats.connections)
        yield CounterMetricFamily("concord_cot_garbage_disconnects", "clients disconnected for sending garbage",
                                  value=stats.garbage_disconnects)
        yield CounterMetricFamily("concord_cot_refused_over_cap",
                                  "CoT connections closed at once because the connection cap was reached",
                                  value=stats.refused_over_cap)
        yield CounterMetricFamily("concord_cot_idle_disconnects",
                                  "CoT clients disconnected after the idle timeout without sending anything",
                                  value=stats.idle_disconnects)
        dropped = CounterMetricFamily("concord_cot_inbound_dropped", "inbound CoT frames dropped", labels=["reason"])
        for reason, count in sorted(stats.inbound_dropped.items()):
            dropped.add_metric([str(reason)], count)
        yield dropped
        delivery = CounterMetricFamily("concord_cot_delivery_dropped", "outbound CoT items dropped",
                                       labels=["reason"])
        for why, count in sorted(stats.delivery_dropped.items()):
            delivery.add_metric([str(why)], count)
        yield delivery
        yield GaugeMetricFamily("concord_cot_clients", "CoT clients connected now",
                                value=len(self._listener.sessions))

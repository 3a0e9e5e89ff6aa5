"""The embedded default's channel layer."""

import time

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages and group members at most
    once a second instead of on every receive and group_send.

    Upstream's sweep walks every channel and every group member each time: with N
    open sockets, each of the N receives of one wake-up costs O(N), so one activity
    costs O(N²) (measured: tens of seconds of CPU per activity at 2,000 sockets).
    Expiry is measured in seconds (messages) and hours (groups), so sweeping once a
    second changes nothing a reader can notice.
    """

    sweep_interval = 1.0
    _last_sweep = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        super()._clean_expired()

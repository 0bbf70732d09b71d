"""nameko's Publisher, failing fast while the broker is away.

nameko's default connection options retry a lost connection for up to 9 s on each publish
attempt, so a publisher could sit out a broker restart for half a minute, holding the outbox
rows it had claimed. Here a publish gives up within about a second; the outbox sweep and the
caller's own retry take it from there.
"""
from nameko.amqp.publish import Publisher

FAIL_FAST_CONNECTION = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.3,
                        "interval_max": 0.5}
FAIL_FAST_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.3,
                   "interval_max": 0.5}


class FailFastPublisher(Publisher):
    retry_policy = FAIL_FAST_RETRY

    @property
    def transport_options(self):
        return dict(FAIL_FAST_CONNECTION)  # a copy: nameko adds `confirm_publish` to it

"""`python -m console`: serve the console on CONSOLE_ADDRESS (0.0.0.0:8001 by default)."""
import eventlet

eventlet.monkey_patch()

import logging  # noqa: E402

from eventlet import wsgi  # noqa: E402

from console.app import make_app  # noqa: E402
from infra import config  # noqa: E402


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = make_app(config.amqp_uri())
    host, port = config.console_address()
    listener = eventlet.listen((host, port))
    logging.getLogger("console").info("console on http://%s:%s", host, port)
    wsgi.server(listener, app, log_output=False, max_size=1000)


if __name__ == "__main__":
    main()

"""uvicorn's supervisor of several workers, stopping the way one worker stops.

With `WORKERS` > 1, uvicorn's `Multiprocess` binds the listening socket, starts the workers
(each inherits it) and, on SIGTERM or SIGINT, forwards the signal to each worker and waits for
them. It keeps its own copy of the socket open until it exits, so while the workers finish
their requests in flight, the kernel still completes new connections into the socket's backlog,
and nobody accepts them: a client connecting to a stopping instance waited until the instance
exited (up to `SHUTDOWN_TIMEOUT_SECONDS`) and then saw its connection reset. One worker instead
refuses them at once, which lets a load balancer retry on another instance. The supervisor also
exited with status 0, where one worker re-raises the signal (status 143 for SIGTERM).

`Supervisor` closes its copy of the socket as it starts stopping the workers, so the socket is
gone once the workers have closed theirs, and records the signal for `serve_api` to re-raise.
It overrides uvicorn 0.54's `Multiprocess.handle_term`, `handle_int` and `terminate_all`
(tests/unit/test_library_internals.py pins them); `tests/e2e/test_graceful_shutdown.py` holds
both behaviours with one worker and with two.
"""

from __future__ import annotations

import signal

from uvicorn.supervisors import Multiprocess


class Supervisor(Multiprocess):
    """`Multiprocess` that stops accepting as soon as it is told to stop (see the module)."""

    stopped_by: signal.Signals | None = None
    """SIGTERM or SIGINT once either stopped the workers; None while running or after a crash."""

    def handle_term(self) -> None:
        self.stopped_by = signal.SIGTERM
        super().handle_term()

    def handle_int(self) -> None:
        self.stopped_by = signal.SIGINT
        super().handle_int()

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()

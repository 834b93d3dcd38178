"""Stopping cleanly when the scheduler asks: a flag that turns True on SIGTERM/SIGINT, which the train loop checks
every step (then it saves a checkpoint and returns; rerunning the command resumes). Multi-process runs use JAX's
preemption service instead (trainer.py), because every process must stop at the same step."""

import contextlib
import signal
import threading

from absl import logging


@contextlib.contextmanager
def flag(enabled: bool = True):
    """Yields a callable that turns True after SIGTERM (or SIGINT); restores the previous handlers on exit.

    The loop checks it every step and then saves a checkpoint and returns, so a preempted job resumes where it was.
    Signals can only be handled in the main thread; elsewhere the flag stays False. With several processes it is
    not `enabled`: each process would see its signal at a different step and they would save different steps, so
    there JAX's preemption service (SIGTERM -> a step all processes agree on, `reached_preemption`) decides.
    """
    event = threading.Event()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield event.is_set
        return

    def handler(signum, frame):
        del frame
        logging.warning('Received %s: saving a checkpoint and stopping.', signal.Signals(signum).name)
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield event.is_set
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

"""Stopping a study without losing a step: SIGTERM or SIGINT to `aegan.study` is passed on to the binaries it is
running (a train saves its current step and exits, docs/training.md "Preemption"), and no new train or eval starts;
rerunning the same command resumes. A second signal kills them (SIGKILL: back to their last checkpoints), for a
binary that hangs. Without this, the study died at once and left its train running on alone."""

import contextlib
import signal
import subprocess
import threading


class Stop:
    """The signal a study was asked to stop by (None until then) and the children it forwards it to."""

    def __init__(self):
        self.signal: int | None = None
        self._children: set[subprocess.Popen] = set()
        self._lock = threading.RLock()  # a second signal can run the handler inside the first one

    @property
    def name(self) -> str:
        return signal.Signals(self.signal).name if self.signal else ''

    def request(self, signum: int, frame=None) -> None:
        """A signal handler: remembers the first signal and sends it to every running child; kills them on another."""
        del frame
        with self._lock:
            again = self.signal is not None
            self.signal = self.signal or signum
            children = list(self._children)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGKILL if again else signum)

    def run(self, command: list[str], stdout, env) -> int | None:
        """Runs `command` to its end and returns its exit status; None, starting nothing, once a stop is requested."""
        with self._lock:  # a signal between the check and the start must still reach the child
            if self.signal:
                return None
            child = subprocess.Popen(command, stdout=stdout, stderr=subprocess.STDOUT, env=env)
            self._children.add(child)
        if self.signal:  # a handler that ran in this thread between the start and the add did not see the child
            child.send_signal(self.signal)
        try:
            return child.wait()
        finally:
            with self._lock:
                self._children.discard(child)


@contextlib.contextmanager
def on_signals():
    """Yields a `Stop` that SIGTERM and SIGINT request while the block runs (the main thread's handlers, restored
    after); elsewhere than in the main thread, where Python cannot handle signals, one that is never requested."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, stop.request) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

"""Training progress for a person at a terminal or for a log file.

Every `log_every` epochs (and at the end) a permanent line with epoch, cost and elapsed time,
as the seed post prints every 10,000 epochs. On a terminal a one-line bar is also redrawn in
place about a hundred times per run; elsewhere (DVC's logs, CI, the experiment queue) there are
only whole lines, so nothing is garbled.
"""

from __future__ import annotations

import math
from typing import TextIO

BAR_WIDTH = 30
BAR_STEPS = 100


class TrainingProgress:
    """A `progress(epoch, cost, elapsed)` callback for `nn.fit`; pass `every` as its period."""

    def __init__(self, epochs: int, log_every: int, stream: TextIO, interactive: bool) -> None:
        self.epochs, self.log_every = epochs, log_every
        self.stream, self.interactive = stream, interactive
        self.every = math.gcd(log_every, max(1, epochs // BAR_STEPS)) if interactive else log_every

    def __call__(self, epoch: int, cost: float, elapsed: float) -> None:
        status = (
            f"epoch {epoch:>{len(str(self.epochs))}d}  cost {cost:.6f}  elapsed {elapsed:6.1f} s"
        )
        if self.interactive:
            self.stream.write("\r\x1b[K")  # erase the bar before anything else is written
        if epoch % self.log_every == 0 or epoch == self.epochs:
            self.stream.write(status + "\n")
        if self.interactive and epoch < self.epochs:
            done = round(BAR_WIDTH * epoch / self.epochs)
            bar = "#" * done + "." * (BAR_WIDTH - done)
            self.stream.write(f"[{bar}] {epoch / self.epochs:4.0%}  {status}")
        self.stream.flush()

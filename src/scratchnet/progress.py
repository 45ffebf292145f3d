"""Training progress for a person at a terminal or for a log file.

Every `log_every` epochs (and at the end) a permanent line with epoch, cost and elapsed time,
as the seed post prints every 10,000 epochs. On a terminal a tqdm bar with the cost, elapsed
time and ETA is also redrawn in place, never wider than the terminal; elsewhere (DVC's logs, CI,
the experiment queue) there are only whole lines, so nothing is garbled.
"""

from __future__ import annotations

import math
from typing import TextIO

from tqdm import tqdm

BAR_STEPS = 200
"""About this many bar updates per run: often enough to look live, rarely enough to cost
nothing."""


class TrainingProgress:
    """A `progress(epoch, cost, elapsed)` callback for `training.fit`; pass `every` as its period.

    `width` is the terminal's width in columns, or None when `stream` is not a terminal; the
    bar is redrawn at most every `min_seconds`, however often it is called.
    """

    def __init__(
        self,
        epochs: int,
        log_every: int,
        stream: TextIO,
        width: int | None,
        min_seconds: float = 0.1,
    ) -> None:
        self.epochs, self.log_every, self.stream = epochs, log_every, stream
        self.every = math.gcd(log_every, max(1, epochs // BAR_STEPS)) if width else log_every
        self.bar = None
        if width:
            self.bar = tqdm(
                total=epochs,
                file=stream,
                ncols=width,
                unit="epoch",
                leave=False,
                mininterval=min_seconds,
                bar_format="{percentage:3.0f}%|{bar}| {elapsed}<{remaining}  {desc}",
            )

    def __call__(self, epoch: float, cost: float, elapsed: float) -> None:
        """Redraw the bar; at every `log_every` whole epochs and the last, print a line. A
        fractional epoch (within an epoch of mini-batches) only moves the bar."""
        if self.bar is not None:
            shown = f"epoch {int(epoch)}" + (f" cost {cost:.4f}" if math.isfinite(cost) else "")
            self.bar.set_description_str(shown, refresh=False)
            self.bar.update(epoch - self.bar.n)
        if epoch % self.log_every == 0 or epoch == self.epochs:
            digits = len(str(self.epochs))
            line = f"epoch {epoch:>{digits}d}  cost {cost:.6f}  elapsed {elapsed:6.1f} s"
            if self.bar is not None:
                self.bar.write(line, file=self.stream)
            else:
                print(line, file=self.stream, flush=True)
        if epoch == self.epochs and self.bar is not None:
            self.bar.close()

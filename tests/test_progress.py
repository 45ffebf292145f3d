"""Progress output: whole lines for logs; on a terminal, also a bar that fits the terminal."""

from __future__ import annotations

import io
import re

import pytest

from scratchnet.progress import TrainingProgress

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def drive(progress: TrainingProgress, epochs: int) -> str:
    """Call `progress` as `training.fit` does: every `progress.every` epochs and at the last one."""
    for epoch in range(1, epochs + 1):
        if epoch % progress.every == 0 or epoch == epochs:
            progress(epoch, 1.0 / epoch, epoch / 1000)
    return progress.stream.getvalue()


def test_log_output_is_one_line_per_log_every_and_the_last_epoch() -> None:
    """Not a terminal: exactly the post's checkpoints plus the final epoch, no control codes."""
    stream = io.StringIO()
    output = drive(TrainingProgress(2_500, 1_000, stream, width=None), 2_500)
    lines = output.splitlines()
    assert [line.split()[1] for line in lines] == ["1000", "2000", "2500"]
    assert "\r" not in output and "\x1b" not in output
    assert lines[0] == "epoch 1000  cost 0.001000  elapsed    1.0 s"


@pytest.mark.parametrize("width", [80, 50, 200])
def test_terminal_bar_fits_the_width_shows_eta_and_keeps_the_checkpoint_lines(width) -> None:
    """Every redraw of the bar fits the terminal and shows elapsed<remaining; the checkpoint
    lines stay; the bar is gone at the end."""
    stream = io.StringIO()
    progress = TrainingProgress(60_000, 10_000, stream, width=width, min_seconds=0)
    assert 10_000 % progress.every == 0 and progress.every <= 300
    output = ESCAPE.sub("", drive(progress, 60_000))
    segments = [segment for line in output.split("\n") for segment in line.split("\r")]
    bars = [segment for segment in segments if "%|" in segment]
    assert len(bars) > 5
    assert max(len(segment) for segment in segments) <= width
    assert all(re.search(r"\d\d:\d\d<\d\d:\d\d  epoch \d+ cost", bar) for bar in bars[1:])
    kept = [segment for segment in segments if segment.startswith("epoch")]
    assert [line.split()[1] for line in kept] == [str(e) for e in range(10_000, 60_001, 10_000)]
    last_line = [segment for segment in output.split("\n")[-1].split("\r") if segment]
    assert last_line[-1].strip() == ""  # the bar is erased; the final checkpoint line stays

"""Progress output: whole lines for logs, an in-place bar only on a terminal."""

from __future__ import annotations

import io

from scratchnet.progress import TrainingProgress


def drive(progress: TrainingProgress, epochs: int) -> str:
    """Call `progress` as `nn.fit` does: every `progress.every` epochs and at the last one."""
    for epoch in range(1, epochs + 1):
        if epoch % progress.every == 0 or epoch == epochs:
            progress(epoch, 1.0 / epoch, epoch / 1000)
    return progress.stream.getvalue()


def test_log_output_is_one_line_per_log_every_and_the_last_epoch() -> None:
    """Not a terminal: exactly the post's checkpoints plus the final epoch, no control codes."""
    stream = io.StringIO()
    output = drive(TrainingProgress(2_500, 1_000, stream, interactive=False), 2_500)
    lines = output.splitlines()
    assert [line.split()[1] for line in lines] == ["1000", "2000", "2500"]
    assert "\r" not in output and "\x1b" not in output
    assert lines[0] == "epoch 1000  cost 0.001000  elapsed    1.0 s"


def test_terminal_output_redraws_a_bar_and_keeps_the_checkpoint_lines() -> None:
    """A terminal also gets a bar redrawn in place about 100 times, erased at the end."""
    stream = io.StringIO()
    progress = TrainingProgress(60_000, 10_000, stream, interactive=True)
    assert 10_000 % progress.every == 0 and progress.every <= 600
    output = drive(progress, 60_000)
    assert output.count("\r") == 60_000 // progress.every
    kept = [line.split("\x1b[K")[-1] for line in output.split("\n") if "\x1b[K" in line]
    assert [line.split()[1] for line in kept if line.startswith("epoch")] == [
        str(epoch) for epoch in range(10_000, 60_001, 10_000)
    ]
    assert output.endswith("\n") and "[" not in output.rsplit("\r\x1b[K", 1)[1]

"""Tests of scratchnet.files: atomic writes, byte-deterministic JSON and bounded reads."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnet import files
from scratchnet.errors import DataError, OutputError, ParamsError


def temporary_files(root: Path) -> list[Path]:
    """Every `.NAME.*.tmp` file under `root`."""
    return sorted(root.rglob(".*.tmp"))


def error_message(error: type[Exception], call, path: Path) -> str:
    """The message of the `error` that `call(path)` raises, which must name `path`."""
    with pytest.raises(error) as caught:
        call(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


def written(path: Path, content: str | bytes | None) -> Path:
    """`path` holding `content` (None: no file)."""
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


# --- write_bytes ---------------------------------------------------------------------------------


def test_write_bytes_creates_folders_replaces_and_leaves_no_temporary_file(tmp_path):
    """Missing folders are made, an old file is replaced whole, no temporary file is left."""
    target = tmp_path / "deep" / "er" / "out.bin"
    files.write_bytes(target, b"old contents, longer than the new ones")
    files.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_write_bytes_failing_mid_payload_keeps_the_old_file(tmp_path, monkeypatch, error):
    """A write failing midway keeps the old file; OSError becomes OutputError, Ctrl-C propagates."""
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    class BrokenFile(io.FileIO):  # what os.fdopen opens: writes half the payload, then fails
        def write(self, payload):
            super().write(payload[: len(payload) // 2])
            raise error

    monkeypatch.setattr(os, "fdopen", lambda descriptor, mode: BrokenFile(descriptor, mode))
    with pytest.raises(OutputError if isinstance(error, OSError) else KeyboardInterrupt) as caught:
        files.write_bytes(target, b"a new payload")
    if isinstance(error, OSError):
        assert str(caught.value) == f"cannot write {target}: No space left on device"
    else:
        assert caught.value is error
    assert target.read_bytes() == b"old"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("relative", ["folder", "blocker/out.csv", "blocker/sub/out.csv"])
def test_write_bytes_where_a_folder_or_a_file_is_in_the_way_is_an_output_error(tmp_path, relative):
    """A folder at the target or a file in the folder's way is an OutputError, nothing changed."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "blocker").write_bytes(b"a file")
    error_message(OutputError, lambda path: files.write_bytes(path, b"x"), tmp_path / relative)
    assert (tmp_path / "folder").is_dir()
    assert (tmp_path / "blocker").read_bytes() == b"a file"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("blocked", ["folder", "disk full"])
def test_write_all_replaces_every_output_or_none(tmp_path, monkeypatch, blocked):
    """The second output cannot be written (a folder in its way, a full disk): the first keeps
    its old contents, no temporary file stays."""
    first, second = tmp_path / "table.md", tmp_path / "figure.png"
    first.write_bytes(b"old")
    if blocked == "folder":
        second.mkdir()
    else:
        real = os.fdopen
        opened = []

        def full_disk(descriptor, mode):
            opened.append(descriptor)
            if len(opened) == 2:
                os.close(descriptor)
                raise OSError(28, "No space left on device")
            return real(descriptor, mode)

        monkeypatch.setattr(os, "fdopen", full_disk)
    with pytest.raises(OutputError, match=f"cannot write {second}"):
        files.write_all({first: b"new", second: b"new"})
    assert first.read_bytes() == b"old"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("name", ["out.csv", "run[1].csv"])
def test_write_bytes_removes_only_its_own_stale_temporary_files(tmp_path, name):
    """Stale temporary files of this output go; other outputs' (even glob-alike ones) stay."""
    stale = [tmp_path / f".{name}.k1ll3d.tmp", tmp_path / f".{name}.x_9.tmp"]
    others = [tmp_path / ".other.csv.k1ll3d.tmp", tmp_path / ".run1.csv.k1ll3d.tmp"]
    for path in stale + others:
        path.write_bytes(b"half-written")
    files.write_bytes(tmp_path / name, b"x")
    assert temporary_files(tmp_path) == sorted(others)


def test_write_bytes_leaves_the_temporary_file_of_an_output_whose_name_extends_its_own(tmp_path):
    """Writing out.csv keeps the temporary file of the output out.csv.bak."""
    other = tmp_path / ".out.csv.bak.k1ll3d.tmp"
    other.write_bytes(b"being written")
    files.write_bytes(tmp_path / "out.csv", b"x")
    assert other.exists()


def test_write_bytes_never_follows_a_symlink_planted_at_its_temporary_name(tmp_path, monkeypatch):
    """A symlink planted at the temporary file's name is never written through."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    (tmp_path / "models").mkdir()
    real_open, planted = os.open, []

    def plant_then_open(file, flags, *args, **kwargs):
        name = Path(os.fsdecode(file)).name
        if not planted and name.startswith(".nn.npz.") and name.endswith(".tmp"):
            Path(file).symlink_to(outside)
            planted.append(file)
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", plant_then_open)
    files.write_bytes(tmp_path / "models" / "nn.npz", b"payload")
    assert planted, "the temporary file was not opened through os.open: plant elsewhere"
    assert outside.read_bytes() == b"precious"
    assert (tmp_path / "models" / "nn.npz").read_bytes() == b"payload"


def test_written_files_get_the_mode_open_would_give(tmp_path):
    """Outputs get open()'s mode, not mkstemp's 0600 (run under umask 022, fixed at import)."""
    script = (
        "import os, sys; os.umask(0o022); from scratchnet import files; "
        "files.write_bytes(sys.argv[1], b'x'); open(sys.argv[2], 'wb').close()"
    )
    made, opened = tmp_path / "written.bin", tmp_path / "opened.bin"
    subprocess.run([sys.executable, "-c", script, str(made), str(opened)], check=True)
    assert [path.stat().st_mode & 0o777 for path in (made, opened)] == [0o644, 0o644]


# --- staged writes: a stage's outputs all or none ----------------------------------------------


def test_staged_writes_stay_beside_their_targets_until_the_commit(tmp_path):
    """Within `staged()` nothing is in place before `commit`, then everything is; a block left
    without a commit removes its temporary files and keeps the old outputs."""
    first, second = tmp_path / "a.csv", tmp_path / "sub" / "b.json"
    first.write_bytes(b"old")
    with files.staged() as staging:
        files.write_bytes(first, b"new")
        files.write_json(second, {"x": 1})
        assert first.read_bytes() == b"old" and not second.exists()
        staging.commit()
    assert (first.read_bytes(), second.read_bytes()) == (b"new", b'{\n  "x": 1\n}\n')
    with pytest.raises(KeyboardInterrupt), files.staged():
        files.write_bytes(first, b"newer")
        raise KeyboardInterrupt
    assert first.read_bytes() == b"new"
    assert temporary_files(tmp_path) == []


def test_a_rename_failing_during_the_commit_puts_every_old_output_back(tmp_path, monkeypatch):
    """The second rename fails (the file system changed while the stage ran): the first output
    gets its old contents back, the second never had one, no temporary file stays."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"old")
    real_replace = Path.replace

    def failing(self, target):
        if Path(target) == second:
            raise OSError(30, "Read-only file system")
        return real_replace(self, target)

    with files.staged() as staging:
        files.write_all({first: b"new", second: b"new"})
        monkeypatch.setattr(Path, "replace", failing)
        with pytest.raises(OutputError, match=f"cannot write {second}: Read-only file system"):
            staging.commit()
    assert first.read_bytes() == b"old" and not second.exists()
    assert temporary_files(tmp_path) == []


# --- output checks before any work ---------------------------------------------------------------


def output_fixture(tmp_path: Path, kind: str) -> Path:
    """An output path of the given kind under tmp_path (the input is tmp_path / "in.csv")."""
    made = {
        "a folder": lambda path: path.mkdir(),
        "a FIFO": os.mkfifo,
        "a symlink to /dev/null": lambda path: path.symlink_to("/dev/null"),
        "a symlink to a FIFO": lambda path: (os.mkfifo(tmp_path / "fifo"), path.symlink_to("fifo")),
        "a symlink to the input": lambda path: path.symlink_to("in.csv"),
        "a hard link to the input": lambda path: os.link(tmp_path / "in.csv", path),
    }
    path = tmp_path / "out.csv"
    made[kind](path)
    return path


OUTPUT_PROBLEMS = [
    ("a folder", "cannot write {out}: it is a folder, not a regular file"),
    ("a FIFO", "cannot write {out}: it is a FIFO, not a regular file"),
    ("a symlink to /dev/null", "cannot write {out}: it links to a character device, not a "),
    ("a symlink to a FIFO", "cannot write {out}: it links to a FIFO, not a regular file"),
    ("a symlink to the input", "--out {out} is the same file as --in: each output must be a "),
    ("a hard link to the input", "--out {out} is the same file as --in"),
]


@pytest.mark.parametrize(("kind", "message"), OUTPUT_PROBLEMS)
def test_check_outputs_refuses_what_cannot_become_an_output_of_its_own(tmp_path, kind, message):
    """A folder, a FIFO, a device (also behind a symlink) or an input's file is refused by name,
    and nothing is touched."""
    (tmp_path / "in.csv").write_bytes(b"input")
    out = output_fixture(tmp_path, kind)
    with pytest.raises(OutputError) as caught:
        files.check_outputs({"--out": out}, {"--in": tmp_path / "in.csv"})
    assert str(caught.value).startswith(message.format(out=out))
    assert (tmp_path / "in.csv").read_bytes() == b"input"


@pytest.mark.parametrize("exists", [False, True])
@pytest.mark.parametrize("spelling", ["./x.csv", "x.csv", "sub/../x.csv"])
def test_check_outputs_refuses_one_file_named_twice_however_it_is_spelt(
    tmp_path, monkeypatch, spelling, exists
):
    """Two outputs, or an output and an input, naming one file, there yet or not."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    if exists:
        (tmp_path / "x.csv").write_bytes(b"x")
    same = Path(spelling)
    with pytest.raises(OutputError, match=r"--test .*x\.csv is the same file as --train"):
        files.check_outputs({"--train": Path("x.csv"), "--test": same}, {})
    with pytest.raises(OutputError, match=r"--test .*x\.csv is the same file as --dataset"):
        files.check_outputs({"--test": same}, {"--dataset": Path("x.csv")})


def test_check_outputs_accepts_new_files_regular_files_and_symlinks_to_them(tmp_path):
    """Nothing there yet (folders to be made), a regular file, or a symlink to one (replaced by
    a file, never written through) is a fine output; a file in a folder's way is not."""
    (tmp_path / "old.csv").write_bytes(b"old")
    (tmp_path / "link.csv").symlink_to("old.csv")
    outputs = {"--a": tmp_path / "new" / "er" / "a.csv", "--b": tmp_path / "old.csv"}
    files.check_outputs(outputs, {"--params": tmp_path / "params.yaml"})
    files.check_outputs({"--c": tmp_path / "link.csv"}, {})
    with pytest.raises(OutputError, match=r"old\.csv is a file, not a folder"):
        files.check_outputs({"--d": tmp_path / "old.csv" / "d.csv"}, {})


# --- JSON ----------------------------------------------------------------------------------------


def test_json_has_sorted_keys_at_every_level(tmp_path):
    """JSON is written with sorted keys at every depth and a two-space indent."""
    path = tmp_path / "metrics.json"
    files.write_json(path, {"b": 1, "a": {"z": [{"y": 0, "x": "text"}], "c": 0.5}})
    expected = '{\n  "a": {\n    "c": 0.5,\n    "z": [\n      {\n        "x": "text",\n'
    expected += '        "y": 0\n      }\n    ]\n  },\n  "b": 1\n}\n'
    assert path.read_text() == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_json_refuses_non_finite_numbers(tmp_path, bad):
    """A NaN or infinity anywhere in the document is refused and nothing is written."""
    with pytest.raises(ValueError):
        files.write_json(tmp_path / "metrics.json", {"ok": 1.0, "nested": {"bad": [bad]}})
    assert list(tmp_path.iterdir()) == []


JSON_ERRORS = [(None, "not found"), ("{not json", "not valid JSON"), (b'"\xff"', "cannot be read")]
JSON_ERRORS += [("[1, 2]", "must hold a JSON object"), ("3", "must hold a JSON object")]


@pytest.mark.parametrize(("content", "problem"), JSON_ERRORS)
def test_read_json_errors(tmp_path, content, problem):
    """A missing, invalid, non-UTF-8 or non-object JSON file is a DataError naming it."""
    path = written(tmp_path / "metrics.json", content)
    assert problem in error_message(DataError, files.read_json, path)


def test_read_number_finds_nested_keys(tmp_path):
    """Nested keys are followed and an integer is returned as a float."""
    path = written(tmp_path / "metrics.json", '{"nn": {"test": {"accuracy": 1}}, "top": 0.25}')
    read = [files.read_number(path, "top"), files.read_number(path, "nn", "test", "accuracy")]
    assert repr(read) == "[0.25, 1.0]"  # repr: floats, not an int 1


NOT_NUMBERS = [('{"nn": {}}', "None"), ('{"nn": 0.5}', "None"), ('{"nn": {"a": null}}', "None")]
NOT_NUMBERS += [('{"nn": {"a": true}}', "True"), ('{"nn": {"a": "NaN"}}', "'NaN'")]
NOT_NUMBERS += [('{"nn": {"a": "0.5"}}', "'0.5'"), ('{"nn": {"a": NaN}}', "nan")]
NOT_NUMBERS += [('{"nn": {"a": -Infinity}}', "-inf"), ('{"nn": {"a": {}}}', "{}")]


@pytest.mark.parametrize(("content", "shown"), NOT_NUMBERS)
def test_read_number_refuses_anything_but_a_finite_number(tmp_path, content, shown):
    """A missing key, a bool, a string, a non-finite number or an object is refused by key."""
    path = written(tmp_path / "metrics.json", content)
    message = error_message(DataError, lambda p: files.read_number(p, "nn", "a"), path)
    assert message == f"{path}: nn.a = {shown} must be a finite number"


def test_json_writer_and_readers_take_a_str_path(tmp_path):
    """write_json and read_number take `str` paths as well as `pathlib.Path` ones."""
    path = f"{tmp_path}/m.json"
    files.write_json(path, {"nn": {"accuracy": 0.5}})
    assert files.read_number(path, "nn", "accuracy") == 0.5


# --- bounded reads -------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [DataError, ParamsError])
def test_read_text_refuses_a_file_over_its_limit_before_reading_it(tmp_path, monkeypatch, error):
    """A file over the limit is refused, as the given error class, without being read."""
    path = written(tmp_path / "big.txt", "x" * 1001)

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_text", no_reading)
    message = error_message(error, lambda p: files.read_text(p, 1000, error), path)
    assert message == f"{path} is 1,001 bytes, more than the 1,000 this input may have"


def test_read_text_reads_a_file_at_its_limit(tmp_path):
    """A file exactly at the limit is read whole."""
    path = written(tmp_path / "exact.txt", "é" * 500)
    assert files.read_text(path, 1000) == "é" * 500


def test_checked_size_refuses_what_is_not_a_regular_file(tmp_path):
    """A folder is refused as not a regular file; a missing file says to run its stage."""
    assert "is not a regular file" in error_message(
        DataError, lambda p: files.checked_size(p, 1 << 20), tmp_path
    )
    missing = tmp_path / "missing.csv"
    assert error_message(DataError, lambda p: files.checked_size(p, 10), missing) == (
        files.not_found(missing)
    )

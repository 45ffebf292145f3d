"""Every fault a stage must survive, as a table: the stage, what it is fed, the line it prints.

Each case runs one stage script (its command from dvc.yaml) on a reproduced copy of the
project, with some inputs replaced by broken ones and every output pointed into a scratch
folder. It must exit with status 1 after exactly one line on stderr, `<stage>: error: ...`
matching the expected text, write no output and no temporary file, and stay within
SECONDS and MEBIBYTES (start-up included) however large the input claims to be.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML

from tests.pipeline import ROOT, Project, require, stage_command, stage_outputs

pytestmark = pytest.mark.pipeline

SECONDS = 10.0
MEBIBYTES = 300
"""Bounds for every case, start-up included, in CPU seconds: a stage imports NumPy (and plot
matplotlib) in under two seconds and 150 MiB; a crafted file that claims terabytes, or an
alias bomb that expands to billions of elements, must not get near these even on a busy one."""


# --- what a case can feed a stage -------------------------------------------------------------


@dataclasses.dataclass
class Feed:
    """Builds broken inputs for one case in its scratch folder."""

    project: Project
    folder: Path
    undo: list[list[str]] = dataclasses.field(default_factory=list)
    """Commands that put the system back after the case (run even if it fails)."""

    def system(self, command: list[str], undo: list[str]) -> None:
        """Run `command` (root's tools: chattr, mount) and remember how to undo it."""
        require(os.geteuid() == 0, f"root, to run {command[0]}")
        subprocess.run(command, check=True, capture_output=True)
        self.undo.append(undo)

    def good(self, relative: str) -> Path:
        return self.project.root / relative

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def params_text(self, edit: Callable[[str], str]) -> dict[str, Path]:
        return {"params": self.file("params.yaml", edit(self.good("params.yaml").read_text()))}

    def params(self, section: str, key: str, text: str) -> dict[str, Path]:
        """params.yaml with `key: text` written verbatim into `section`."""

        def edit(source: str) -> str:
            lines, current = [], None
            for line in source.splitlines():
                if line and not line.startswith((" ", "#")):
                    current = line.split(":")[0]
                elif current == section and line.strip().startswith(f"{key}:"):
                    line = f"  {key}: {text}"
                lines.append(line)
            return "\n".join(lines) + "\n"

        return self.params_text(edit)

    def directory(self, name: str) -> Path:
        path = self.folder / name
        path.mkdir()
        return path

    def csv(self, option: str, content: str | bytes) -> dict[str, Path]:
        return {option: self.file(f"{option}.csv", content)}

    def model(
        self, option: str, source: str, members: dict[str, bytes | None], compress: bool = False
    ) -> dict[str, Path]:
        """The model file `source` with some members replaced (None: removed)."""
        path = self.folder / Path(source).name
        with zipfile.ZipFile(self.good(source)) as original:
            contents = {name: original.read(name) for name in original.namelist()}
        for name, payload in members.items():
            contents.pop(f"{name}.npy", None)
            if payload is not None:
                contents[f"{name}.npy"] = payload
        method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, "w", method) as archive:
            for name, payload in contents.items():
                archive.writestr(name, payload)
        return {option: path}

    def meta(self, source: str) -> dict:
        with zipfile.ZipFile(self.good(source)) as archive, archive.open("meta.npy") as member:
            return json.loads(str(np.lib.format.read_array(member)))


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def meta_npy(document: dict) -> bytes:
    return npy(np.array(json.dumps(document)))


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A `.npy` header declaring `shape`, followed by only a few bytes of data."""
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + b"\0" * 64


def flip_encryption_flag(model: Path) -> bytes:
    """The model file with the "encrypted" flag set in its first central-directory entry."""
    content = bytearray(model.read_bytes())
    content[content.find(b"PK\x01\x02") + 8] |= 1
    return bytes(content)


def own_params(f: Feed, file: str) -> dict[str, Path]:
    """params.yaml with `data.kind: own` reading `file` (relative to the project)."""
    return f.params_text(
        lambda t: t.replace("kind: flower", "kind: own").replace(
            f"file: {DEFAULTS['data']['file']}", f"file: {file}"
        )
    )


def own_file(f: Feed, make: Callable[[Path], object]) -> dict[str, Path]:
    """`data.kind: own` reading a file that `make(path)` creates in the project's data/own/
    (named after the case's folder, removed after the case)."""
    path = f.project.root / "data" / "own" / f"{f.folder.parent.name}.csv"
    make(path)
    f.undo.append(["rm", "-f", str(path)])
    return own_params(f, str(path.relative_to(f.project.root)))


def own_data(f: Feed, content: str) -> dict[str, Path]:
    """`data.kind: own` reading a CSV file with `content`."""
    return own_file(f, lambda path: path.write_text(content))


def immutable(f: Feed) -> Path:
    folder = f.directory("locked")
    f.system(["chattr", "+i", str(folder)], ["chattr", "-i", str(folder)])
    return folder


def full_disk(f: Feed) -> Path:
    folder = f.directory("full")
    f.system(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)], ["umount", str(folder)]
    )
    return folder


def fifo(f: Feed, name: str) -> Path:
    path = f.folder / name
    os.mkfifo(path)
    return path


def link(f: Feed, name: str, target: Path, hard: bool = False) -> Path:
    path = f.folder / name
    if hard:
        path.hardlink_to(target)
    else:
        path.symlink_to(target)
    return path


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


MERGE_BOMB = "\n".join(
    ["mb0: &m0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}"]
    + [
        f"mb{i}: &m{i} {{{', '.join(f'x{j}: {{<<: *m{i - 1}}}' for j in range(10))}}}"
        for i in range(1, 13)
    ]
)
ALIAS_BOMB = "\n".join(
    ["bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"bomb{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]" for i in range(1, 10)]
)


class Pickled:
    def __reduce__(self):
        return (os.system, ("touch pickle-ran",))


def pickled_npy() -> bytes:
    payload = np.empty(2, dtype=object)  # the shape of `coef`: only the dtype gives it away
    payload[:] = [Pickled(), Pickled()]
    return npy(payload, allow_pickle=True)


# --- the table ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fault:
    stage: str
    feeds: Callable[[Feed], dict[str, Path]]
    expects: str
    """A regular expression the one line must contain, after `<stage>: error: `."""


NN, LOGREG, SCALER = "models/nn.npz", "models/logreg.npz", "data/split/scaler.npz"
DEFAULTS = YAML(typ="safe").load(ROOT / "params.yaml")
"""The committed params, which the project keeps but for the number of epochs."""
HIDDEN_UNITS = DEFAULTS["nn"]["hidden_units"]
TEST_ROWS = round(DEFAULTS["data"]["n_samples"] * DEFAULTS["split"]["test_size"])
GRID_ROWS = DEFAULTS["plot"]["grid_points"] ** 2
ROW = "0.5,0.5,1"
HEADER = "x1,x2,y"
MANY_ROWS = HEADER + "\n" + "\n".join(f"{i},{i % 7},{i % 2}" for i in range(2000)) + "\n"
WIDE_HEADER = ",".join(f"x{i}" for i in range(1001)) + ",y"
EMPTY_ROWS = ",".join(f"x{i}" for i in range(999)) + ",y\n" + "0," * 999 + "1\n"
EMPTY_ROWS += ("," * 999 + "\n") * 16_000
"""A row, then rows of empty fields as a spreadsheet exports blank rows: the old reader took
over 20 times the file's size in memory for these."""

FAULTS: dict[str, Fault] = {
    # params.yaml
    "params: unknown key": Fault(
        "train_nn",
        lambda f: f.params("nn", "epochs", "5\n  colour: red"),
        r"unknown key nn\.colour",
    ),
    "params: missing key": Fault(
        "train_logreg",
        lambda f: f.params_text(lambda t: t.replace("  tol:", "  #")),
        r"missing key logreg\.tol",
    ),
    "params: wrong type": Fault(
        "train_nn", lambda f: f.params("nn", "epochs", "many"), r"nn\.epochs = 'many' is invalid"
    ),
    "params: negative learning rate": Fault(
        "train_nn",
        lambda f: f.params("nn", "learning_rate", "-1"),
        r"nn\.learning_rate = -1\.0 is out of range",
    ),
    "params: zero hidden units": Fault(
        "train_nn", lambda f: f.params("nn", "hidden_units", "0"), r"nn\.hidden_units = 0"
    ),
    "params: huge init scale": Fault(
        "train_nn",
        lambda f: f.params("nn", "init_scale", "1e300"),
        r"nn\.init_scale = 1e\+300 .* to 1000",
    ),
    "params: init scale 5e-324 (subnormal initial weights)": Fault(
        "train_nn",
        lambda f: f.params("nn", "init_scale", "5e-324"),
        r"nn\.init_scale = 5e-324 is out of range: allowed a number from 2e-292 \(below it "
        r"float64 initial weights are subnormal\)",
    ),
    "params: a section no stage reads": Fault(
        "generate",
        lambda f: f.params_text(lambda t: t + "evalute:\n  threshold: 0.3\n"),
        r"unknown params section 'evalute' \(did you mean 'evaluate'\?\): allowed sections",
    ),
    "params: sexagesimal 1:00": Fault(
        "train_nn", lambda f: f.params("nn", "epochs", "1:00"), r"nn\.epochs = '1:00' is invalid"
    ),
    "params: yes is not a boolean": Fault(
        "split",
        lambda f: f.params("split", "stratify", "yes"),
        r"split\.stratify = 'yes' is invalid",
    ),
    "params: null": Fault(
        "train_nn", lambda f: f.params("nn", "seed", "~"), r"nn\.seed = None is invalid"
    ),
    "params: NaN": Fault(
        "train_logreg", lambda f: f.params("logreg", "tol", ".nan"), r"logreg\.tol = nan"
    ),
    "params: 401-digit integer": Fault(
        "train_nn",
        lambda f: f.params("nn", "learning_rate", "1" * 401),
        r"nn\.learning_rate = 1111.*\.\.\..* is invalid",
    ),
    "params: duplicate key": Fault(
        "train_nn",
        lambda f: f.params("nn", "epochs", "5\n  epochs: 6"),
        r"params\.yaml:\d+:\d+: found duplicate key",
    ),
    "params: syntax error": Fault(
        "generate",
        lambda f: f.params_text(lambda t: t.replace("data:", "data: [", 1)),
        r"params\.yaml:\d+:\d+: ",
    ),
    "params: alias bomb": Fault(
        "train_nn",
        lambda f: f.params_text(
            lambda t: ALIAS_BOMB + "\n" + t.replace("hidden_units: 40", "hidden_units: *b9")
        ),
        r"params\.yaml:2:\d+: aliases \(\*b0\) are not allowed in params",
    ),
    "params: merge-key alias bomb": Fault(
        "train_nn",
        lambda f: f.params_text(lambda t: MERGE_BOMB + "\n" + t),
        r"params\.yaml:2:\d+: aliases \(\*m0\) are not allowed in params",
    ),
    "params: nested 100,000 deep": Fault(
        "train_nn",
        lambda f: f.params_text(lambda t: t + "deep: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        r"nested deeper than 20 levels",
    ),
    "params: tagged scalar !!int x": Fault(
        "train_nn", lambda f: f.params("nn", "epochs", "!!int x"), r"invalid literal for int\(\)"
    ),
    "params: a control character": Fault(
        "train_nn",
        lambda f: f.params("nn", "activation", "tanh\x07"),
        r"params\.yaml:\d+:\d+: character '\\x07'",
    ),
    "params: a device, not a file": Fault(
        "train_nn", lambda f: {"params": Path("/dev/zero")}, r"/dev/zero is not a regular file"
    ),
    "params: noise 1.7e308": Fault(
        "generate",
        lambda f: f.params("data", "noise", "1.7e308"),
        r"data\.noise = 1\.7e\+308 is out of range",
    ),
    "params: file of 2 MB": Fault(
        "train_nn",
        lambda f: f.params_text(lambda t: t + "#" * (2 << 20) + "\n"),
        r"more than the 1,048,576",
    ),
    "params: not a mapping": Fault(
        "train_nn", lambda f: {"params": f.file("p.yaml", "- nn\n")}, r"mapping of sections"
    ),
    "params: missing section": Fault(
        "plot",
        lambda f: f.params_text(lambda t: t.replace("plot:", "plotting:")),
        r"no section 'plot'",
    ),
    "params: missing file": Fault(
        "train_nn", lambda f: {"params": f.folder / "none.yaml"}, r"none\.yaml not found"
    ),
    "params: not UTF-8": Fault(
        "train_nn", lambda f: {"params": f.file("p.yaml", b"nn:\n  x: \xff\n")}, r"cannot be read"
    ),
    "params: hidden units x rows beyond the bound": Fault(
        "train_nn",
        lambda f: {**f.params("nn", "hidden_units", "100000"), **f.csv("train", MANY_ROWS)},
        r"nn\.hidden_units = 100000 with 2,000 training rows needs 200,000,000 hidden activations",
    ),
    "params: own data outside the project": Fault(
        "generate",
        lambda f: own_params(f, "/etc/hosts"),
        r"data\.file = '/etc/hosts' is out of range: allowed the path of a file within the proj",
    ),
    "params: own data that git does not track (a queued run)": Fault(
        "generate",
        lambda f: own_params(f, "data/own/untracked.csv"),
        r"data\.file = 'data/own/untracked\.csv': no such file \(a queued `dvc exp run` sees "
        r"only files git tracks: commit or `git add` it\)",
    ),
    "params: own data a FIFO": Fault(
        "generate", lambda f: own_file(f, os.mkfifo), r"data/own/.*\.csv is not a regular file"
    ),
    "params: unknown data kind": Fault(
        "generate",
        lambda f: f.params("data", "kind", "swirl"),
        r"data\.kind = 'swirl'.*'own' \(your CSV file, named in data\.file\)",
    ),
    # data files: one case per kind of defect here (each row defect, file defect, label and
    # encoding, through every reader, is in tests/test_tables.py, in-process)
    "csv: empty": Fault("split", lambda f: f.csv("dataset", ""), r"dataset\.csv is empty"),
    "csv: linearly separable training classes": Fault(
        "train_logreg",
        lambda f: f.csv("train", "x1,x2,y\n-1,-1,0\n-2,-1,0\n1,1,1\n2,1,1\n"),
        r"the training classes are linearly separable: .*set logreg\.l2 > 0",
    ),
    "csv: a column fewer than the scaler": Fault(
        "train_nn",
        lambda f: f.csv("train", "x1,y\n1,0\n2,1\n"),
        r"the data has 1 features, the scaler 2: rerun the stages that write them",
    ),
    "csv: test columns other than the training columns": Fault(
        "evaluate",
        lambda f: f.csv("test", f"x2,x1,y\n0,0,0\n{ROW}\n"),
        r"test\.csv has columns \('x2', 'x1', 'y'\), .*train\.csv \('x1', 'x2', 'y'\)",
    ),
    "csv: row with an extra field": Fault(
        "split",
        lambda f: f.csv("dataset", f"{HEADER}\n0,0,0\n{ROW},1\n"),
        r"line 3 has 4 fields; the header \(line 1\) has 3",
    ),
    "csv: every row with an extra field": Fault(
        "split", lambda f: f.csv("dataset", f"{HEADER}\n0,0,0,0\n{ROW},1\n"), r"line 2 has 4 fields"
    ),
    "csv: not a number": Fault(
        "split",
        lambda f: f.csv("dataset", f"{HEADER}\n0,abc,0\n{ROW}\n"),
        r"line 2: x2 = 'abc' is not a number",
    ),
    "csv: NaN feature": Fault(
        "split",
        lambda f: f.csv("dataset", f"{HEADER}\nnan,0,0\n{ROW}\n"),
        r"x1 = 'nan' is outside",
    ),
    "csv: 1e200 feature": Fault(
        "split",
        lambda f: f.csv("dataset", f"{HEADER}\n1e200,0,0\n{ROW}\n"),
        r"line 2: x1 = '1e200' is outside the accepted range: a finite number within ±1e\+15",
    ),
    "csv: 1.7e308 in the test split": Fault(
        "evaluate",
        lambda f: f.csv("test", f"{HEADER}\n1.7e308,0,0\n{ROW}\n"),
        r"test\.csv line 2: x1 = '1\.7e308' is outside",
    ),
    "csv: label 2": Fault(
        "split", lambda f: f.csv("dataset", f"{HEADER}\n0,0,2\n{ROW}\n"), r"labels must be 0 or 1"
    ),
    "csv: one class": Fault(
        "train_logreg", lambda f: f.csv("train", f"{HEADER}\n0,0,1\n{ROW}\n"), r"need both classes"
    ),
    "csv: not UTF-8": Fault(
        "split", lambda f: f.csv("dataset", b"x1,x2,y\n\xff,0,0\n"), r"cannot be read"
    ),
    "csv: missing": Fault(
        "train_nn", lambda f: {"train": f.folder / "gone.csv"}, r"gone\.csv not found"
    ),
    "csv: a folder": Fault("train_nn", lambda f: {"train": f.folder}, r"is not a regular file"),
    "csv: a device, not a file": Fault(
        "split", lambda f: {"dataset": Path("/dev/urandom")}, r"/dev/urandom is not a regular file"
    ),
    "csv: own data naming a column twice (x1,x2,y,x1)": Fault(
        "generate",
        lambda f: own_data(f, "x1,x2,y,x1\n0,0,0,5\n0.5,0.5,1,6\n"),
        r"line 1: column 'x1' appears twice \(columns 1 and 4\); rename one",
    ),
    "csv: own data with 1e400 (read as inf)": Fault(
        "generate",
        lambda f: own_data(f, f"{HEADER}\n0,0,0\n 1e400 ,0,1\n"),
        r"line 3: x1 = '1e400' is outside the accepted range",
    ),
    "csv: 1,001 features": Fault(
        "split",
        lambda f: f.csv("dataset", WIDE_HEADER + "\n" + ",".join(["0"] * 1002) + "\n"),
        r"dataset\.csv line 1: 1,001 feature columns, more than the 1,000 allowed",
    ),
    "csv: a line of 2 MiB": Fault(
        "split",
        lambda f: f.csv("dataset", f"{HEADER}\n{ROW}\n0,0,{'0' * (2 << 20)}\n"),
        r"dataset\.csv line 3 is longer than 1,048,576 bytes",
    ),
    "csv: 16 MB of a spreadsheet's empty rows, 1,000 columns wide": Fault(
        "generate",
        lambda f: own_data(f, EMPTY_ROWS),
        r"data/own/.*\.csv line 3: x0 is empty",
    ),
    # model files
    "model: garbage": Fault(
        "evaluate",
        lambda f: {"nn": f.file("nn.npz", b"not a zip")},
        r"nn\.npz is not a valid model file",
    ),
    "model: truncated": Fault(
        "evaluate",
        lambda f: {"nn": f.file("nn.npz", f.good(NN).read_bytes()[:300])},
        r"nn\.npz is not a valid model file",
    ),
    "model: empty": Fault(
        "plot",
        lambda f: {"logreg": f.file("logreg.npz", b"")},
        r"logreg\.npz is not a valid model file",
    ),
    "model: a single .npy": Fault(
        "evaluate", lambda f: {"nn": f.file("nn.npz", npy(np.zeros(3)))}, r"not a valid model file"
    ),
    "model: the wrong kind": Fault(
        "evaluate", lambda f: {"nn": f.good(LOGREG)}, r"holds a 'logreg' model, expected 'nn'"
    ),
    "model: meta header claiming 10^12 characters": Fault(
        "evaluate",
        lambda f: f.model("logreg", LOGREG, {"meta": npy_header((10**12,), descr="<U1")}),
        r"logreg\.npz has no valid meta member",
    ),
    "model: no meta": Fault(
        "evaluate", lambda f: f.model("nn", NN, {"meta": None}), r"no valid meta member"
    ),
    "model: format version 2": Fault(
        "evaluate",
        lambda f: f.model("nn", NN, {"meta": meta_npy({**f.meta(NN), "format_version": 2})}),
        r"format_version 2",
    ),
    "model: params that disagree with the weights": Fault(
        "evaluate",
        lambda f: f.model(
            "nn",
            NN,
            {"meta": meta_npy({**f.meta(NN), "nn": {**f.meta(NN)["nn"], "hidden_units": 41}})},
        ),
        r"w1 has shape \(40, 2\), expected \(41, 2\)",
    ),
    "model: header claiming 10^12 rows": Fault(
        "evaluate",
        lambda f: f.model("nn", NN, {"w1": npy_header((10**12, 2))}),
        r"w1 has shape \(1000000000000, 2\)",
    ),
    "model: float32 weights in a float64 model": Fault(
        "evaluate",
        lambda f: f.model("nn", NN, {"w1": npy(np.zeros((40, 2), np.float32))}),
        r"w1 holds float32, expected float64",
    ),
    "model: NaN weight": Fault(
        "plot",
        lambda f: f.model("nn", NN, {"b2": npy(np.full((1, 1), np.nan))}),
        r"b2 must hold finite numbers",
    ),
    "model: negative cost": Fault(
        "plot",
        lambda f: f.model("nn", NN, {"cost": npy(-np.ones(400))}),
        r"cost holds a negative value",
    ),
    "model: pickled member": Fault(
        "evaluate",
        lambda f: f.model("logreg", LOGREG, {"coef": pickled_npy()}),
        r"coef holds object, expected float64",
    ),
    "model: extra member": Fault(
        "evaluate",
        lambda f: f.model("logreg", LOGREG, {"extra": npy(np.zeros(1))}),
        r"holds arrays .*extra",
    ),
    "model: compressed bomb": Fault(
        "evaluate",
        lambda f: f.model("nn", NN, {"cost": npy(np.zeros(5_000_000))}, compress=True),
        r"compressed members",
    ),
    "model: trained with other nn params than the stage is told": Fault(
        "evaluate",
        lambda f: f.params("nn", "hidden_units", "5"),
        rf"nn\.npz was trained with nn\.hidden_units = {HIDDEN_UNITS}, but the params say 5: "
        r"run train_nn again",
    ),
    "model: trained with other logreg params than the stage is told": Fault(
        "plot",
        lambda f: f.params("logreg", "tol", "1.0e-6"),
        r"logreg\.npz was trained with logreg\.tol = 1e-10, but the params say 1e-06",
    ),
    "model: a flipped encryption flag in the zip directory": Fault(
        "evaluate",
        lambda f: {"logreg": f.file("logreg.npz", flip_encryption_flag(f.good(LOGREG)))},
        r"logreg\.npz is not a valid model file: .*encrypted",
    ),
    "model: bad logistic fit record": Fault(
        "evaluate",
        lambda f: f.model(
            "logreg", LOGREG, {"meta": meta_npy({**f.meta(LOGREG), "separated": "no"})}
        ),
        r"separated = 'no'",
    ),
    "scaler: scale 5e-324": Fault(
        "train_logreg",
        lambda f: f.model("scaler", SCALER, {"scale": npy(np.array([5e-324, 1.0]))}),
        r"scale \[5e-324, 1\.0\] must be from 1e-12",
    ),
    "scaler: mean 1e300": Fault(
        "train_nn",
        lambda f: f.model("scaler", SCALER, {"mean": npy(np.array([1e300, 0.0]))}),
        r"mean \[1e\+300, 0\.0\] is outside ±1e\+15",
    ),
    "scaler: missing": Fault(
        "train_nn", lambda f: {"scaler": f.folder / "gone.npz"}, r"gone\.npz not found"
    ),
    # metrics JSON read by plot (a document that is not an object, a metric missing: in
    # tests/test_files.py, in-process)
    "json: nested 100,000 deep": Fault(
        "plot",
        lambda f: {"metrics": f.file("m.json", nested_json(100_000))},
        r"nested too deeply|must hold a JSON object",
    ),
    "json: 401-digit accuracy": Fault(
        "plot",
        lambda f: {"metrics": f.file("m.json", '{"nn": {"accuracy": ' + "9" * 401 + "}}")},
        r"nn\.accuracy = 9999.* must be a finite number",
    ),
    "json: 5,000-digit accuracy": Fault(
        "plot",
        lambda f: {"metrics": f.file("m.json", '{"nn": {"accuracy": ' + "9" * 5000 + "}}")},
        r"m\.json is not valid JSON",
    ),
    "json: 2 MB": Fault(
        "plot",
        lambda f: {"metrics": f.file("m.json", " " * (2 << 20) + "{}")},
        r"more than the 1,048,576",
    ),
    # the file system
    "output: a file where its folder should be": Fault(
        "generate",
        lambda f: {"dataset": f.file("blocker", "") / "dataset.csv"},
        r"cannot write .*blocker/dataset\.csv",
    ),
    "output: a folder that cannot be written (chattr +i)": Fault(
        "plot",
        lambda f: {"comparison": immutable(f) / "comparison.png"},
        r"cannot write .*locked/comparison\.png: Operation not permitted",
    ),
    "output: a full disk (16 KiB tmpfs)": Fault(
        "plot",
        lambda f: {"comparison": full_disk(f) / "comparison.png"},
        r"cannot write .*full/comparison\.png: No space left on device",
    ),
    "output: a folder where the file should be": Fault(
        "train_logreg", lambda f: {"model": f.directory("taken")}, r"cannot write .*taken"
    ),
    "output: a FIFO": Fault(
        "train_logreg",
        lambda f: {"model": fifo(f, "model.npz")},
        r"cannot write .*model\.npz: it is a FIFO, not a regular file",
    ),
    "output: a symlink to /dev/null": Fault(
        "train_nn",
        lambda f: {"model": link(f, "nn.npz", Path("/dev/null"))},
        r"cannot write .*nn\.npz: it links to a character device, not a regular file",
    ),
    "output: the file of an input": Fault(
        "split",
        lambda f: (
            {"dataset": f.file("d.csv", f.good("data/raw/dataset.csv").read_bytes())}
            | {"test": link(f, "t.csv", f.folder / "d.csv", hard=True)}
        ),
        r"--test .*t\.csv is the same file as --dataset",
    ),
    "output: two outputs, one file": Fault(
        "split",
        lambda f: {"train": f.folder / "same.csv", "test": link(f, "t.csv", f.folder / "same.csv")},
        r"--test .*t\.csv is the same file as --train",
    ),
    "output: the last one blocked (a file where its folder should be)": Fault(
        "evaluate",
        lambda f: {"metrics": f.file("blocker", "") / "metrics.json"},
        r"cannot write .*blocker/metrics\.json: .*blocker is a file, not a folder",
    ),
    "output: the second figure on a full disk": Fault(
        "plot",
        lambda f: {"learning_curve": full_disk(f) / "learning_curve.png"},
        r"cannot write .*full/learning_curve\.png: No space left on device",
    ),
    # numerics
    "numerics: diverging learning rate": Fault(
        "train_nn",
        lambda f: f.params("nn", "learning_rate", "1e6"),
        r"diverged at epoch \d+:.*nn\.learning_rate = 1000000\.0",
    ),
    "numerics: network weights that overflow on the test set": Fault(
        "evaluate",
        lambda f: f.model("nn", NN, {"w2": npy(np.full((1, HIDDEN_UNITS), 1e308))}),
        rf"Neural network \({HIDDEN_UNITS} {DEFAULTS['nn']['activation']} units, .*\): "
        rf"its weights overflow on \d+ of {TEST_ROWS} rows",
    ),
    "numerics: logistic coefficients that overflow on the plotting grid": Fault(
        "plot",
        lambda f: f.model("logreg", LOGREG, {"coef": npy(np.array([1e308, -1e308]))}),
        rf"Logistic regression: its weights overflow on [\d,]+ of {GRID_ROWS:,} rows",
    ),
}


# --- running a case -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project's sources and every output the cases read, each stage run by its command in
    dvc.yaml (the bytes `dvc repro` writes, which outputs are deterministic, in a third of the
    time: no DVC, and no figures, which no case reads)."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("fault_table"))
    for name in YAML(typ="safe").load(project.read("dvc.yaml"))["stages"]:
        if name != "plot":
            project.run(*stage_command(project, name))
    return project


def output_options(project: Project, stage: str) -> list[str]:
    """The `--option`s of `stage`'s command that name one of its outputs."""
    stages = YAML(typ="safe").load(project.read("dvc.yaml"))["stages"]
    declared = set(stage_outputs(stages[stage]))
    words = stages[stage]["cmd"].split()
    return [
        words[i].removeprefix("--").replace("-", "_")
        for i in range(len(words) - 1)
        if words[i + 1] in declared
    ]


def run_bounded(command: list[str], project: Project, folder: Path) -> tuple[int, str, float, int]:
    """Exit status, stderr, CPU seconds and peak resident MiB of `command`.

    CPU seconds (user + system, from wait4), not wall time: the suite runs on two processes,
    and a busy machine stretches a case's wall time but not the work it does. It is ended after
    6 × SECONDS of wall time. The peak is the child's own VmHWM, polled from /proc once it runs
    `command`: getrusage's maxrss would also count this (large) pytest process, whose memory a
    child shares until it execs."""
    stderr_path = folder / "stderr.txt"
    start = time.monotonic()
    peak_kib = 0
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=project.root, env=project.env, stdout=subprocess.DEVNULL, stderr=stderr
        )
        while True:
            peak_kib = max(peak_kib, _high_water_kib(process.pid, command))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > 6 * SECONDS:
                process.kill()
            time.sleep(0.005)
        process.returncode = os.waitstatus_to_exitcode(status)
    return (
        process.returncode,
        stderr_path.read_text(),
        usage.ru_utime + usage.ru_stime,
        peak_kib // 1024,
    )


def _high_water_kib(pid: int, command: list[str]) -> int:
    """VmHWM of `pid` once it runs `command` (0 before its exec, or once it has ended)."""
    try:
        running = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[: len(command)]
        if running != [os.fsencode(word) for word in command]:
            return 0
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault(project: Project, tmp_path: Path, name: str) -> None:
    fault = FAULTS[name]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    feed = Feed(project, inputs)
    try:
        overrides = fault.feeds(feed)
        outputs = {
            option: tmp_path / "out" / option for option in output_options(project, fault.stage)
        }
        command = stage_command(project, fault.stage, **{**outputs, **overrides})
        status, stderr, seconds, mebibytes = run_bounded(command, project, tmp_path)
        leftovers = list(tmp_path.rglob("*.tmp")) + [
            path
            for path in map(Path, overrides.values())
            if path.suffix == ".png" and path.exists()
        ]
    finally:
        for command_to_undo in reversed(feed.undo):
            subprocess.run(command_to_undo, check=True, capture_output=True)
    lines = stderr.splitlines()
    assert status == 1, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{fault.stage}: error: ")
    assert re.search(fault.expects, lines[0]), lines[0]
    assert len(lines[0]) < 400
    assert seconds < SECONDS and mebibytes < MEBIBYTES, (seconds, mebibytes)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert leftovers == [] and not (project.root / "pickle-ran").exists()


def wide_network(f: Feed, grid_points: int | None = None) -> dict[str, Path]:
    """A network of 100,000 hidden units (what `nn.hidden_units` allows), its weights zero,
    and params that say so (and `plot.grid_points`, if given)."""
    meta = f.meta(NN)
    meta["nn"] = {**meta["nn"], "hidden_units": 100_000}
    weights = {"w1": (100_000, 2), "b1": (100_000, 1), "w2": (1, 100_000)}
    grid = DEFAULTS["plot"]["grid_points"]

    def edit(text: str) -> str:
        text = text.replace(f"hidden_units: {HIDDEN_UNITS}", "hidden_units: 100000")
        return text.replace(f"grid_points: {grid}", f"grid_points: {grid_points or grid}")

    arrays = {"meta": meta_npy(meta)} | {k: npy(np.zeros(s)) for k, s in weights.items()}
    return {**f.model("nn", NN, arrays), **f.params_text(edit)}


CONSTANT_X2 = HEADER + "\n" + "\n".join(f"{i / 10},3,{i % 2}" for i in range(40)) + "\n"

QUIET: dict[str, tuple[str, Callable[[Feed], dict[str, Path]]]] = {
    "a feature that is constant": (
        "plot",
        lambda f: {**f.csv("train", CONSTANT_X2), **f.csv("test", CONSTANT_X2)},
    ),
    "a learning curve that reaches 0": (
        "plot",
        lambda f: f.model("nn", NN, {"cost": npy(np.zeros(400))}),
    ),
    "100,000 hidden units": (
        "plot",
        lambda f: wide_network(f, grid_points=30),
    ),
    "100,000 hidden units, evaluated": ("evaluate", wide_network),
}
"""Unusual but valid inputs: the stage succeeds within the bounds and prints no warning."""


@pytest.mark.parametrize("name", list(QUIET))
def test_unusual_input_runs_quietly_within_bounds(
    project: Project, tmp_path: Path, name: str
) -> None:
    stage, feeds = QUIET[name]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    overrides = feeds(Feed(project, inputs))
    outputs = {option: tmp_path / "out" / option for option in output_options(project, stage)}
    command = stage_command(project, stage, **{**outputs, **overrides})
    status, stderr, seconds, mebibytes = run_bounded(command, project, tmp_path)
    assert (status, stderr) == (0, "")
    assert seconds < SECONDS and mebibytes < MEBIBYTES, (seconds, mebibytes)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(outputs)


def test_an_integral_float_trains_the_same_model_as_the_integer(
    project: Project, tmp_path: Path
) -> None:
    """`nn.hidden_units: 40.0` is 40 (DVC compares params by value, so `dvc status` calls it
    up to date): train_nn runs and writes the bytes it writes for 40."""
    models = {}
    for text in (f"{HIDDEN_UNITS}", f"{HIDDEN_UNITS}.0"):
        folder = tmp_path / text
        folder.mkdir()
        feed = Feed(project, folder)
        models[text] = folder / "nn.npz"
        overrides = {**feed.params("nn", "hidden_units", text), "model": models[text]}
        command = stage_command(project, "train_nn", **overrides)
        status, stderr, _, _ = run_bounded(command, project, folder)
        assert status == 0, stderr
    assert models[f"{HIDDEN_UNITS}.0"].read_bytes() == models[f"{HIDDEN_UNITS}"].read_bytes()


def test_signal_during_plot_start_up_is_one_line(project: Project, tmp_path: Path) -> None:
    """`kill -TERM` while plot is still importing matplotlib: the same one line as later. (SIGINT
    goes through the same handler: tests/test_faults.py sends it during an import and while plot
    draws.)"""
    signum = signal.SIGTERM
    outputs = {option: tmp_path / option for option in output_options(project, "plot")}
    command = stage_command(project, "plot", **outputs)
    command.insert(1, "-Ximporttime")
    with subprocess.Popen(
        command, cwd=project.root, env=project.env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if "matplotlib" in line:
                break
        process.send_signal(signum)
        stderr = process.stderr.read()
        assert process.wait(timeout=30) == 130
    messages = [line for line in stderr.splitlines() if not line.startswith("import time:")]
    assert messages == [messages[0]] and messages[0].startswith("plot: "), stderr
    assert list(tmp_path.iterdir()) == []

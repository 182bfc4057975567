"""``qbattery run`` configuration files: parsing, operator files, every error message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery import config
from qbattery.errors import ConfigError, InvalidInputError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RUN_EXAMPLES = ("single_qubit", "kbody", "ising", "operators")

MODEL = '[model]\nname = "kbody"\nN = 4\nk = 2\n'
TIMES = "[times]\nstart = 0.0\nstop = 2.0\nnum = 5\n"
#: a [battery] table without H0, with HC and state from ops.npz
REST = 'HC = "ops.npz:HC"\nstate = "ops.npz:psi0"\n'


def write(tmp_path: Path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def qutrit(tmp_path: Path) -> dict[str, np.ndarray]:
    arrays = {
        "H0": np.diag([0.0, 1.0, 2.0]),
        "HC": 0.5 * (np.eye(3, k=1) + np.eye(3, k=-1)),
        "rho0": np.diag([0.9, 0.1, 0.0]),
        "psi0": np.array([1.0, 0.0, 0.0]),
    }
    np.savez(tmp_path / "ops.npz", **arrays)
    np.save(tmp_path / "H0.npy", arrays["H0"])
    return arrays


@pytest.mark.parametrize("name", RUN_EXAMPLES)
def test_examples_parse(name: str) -> None:
    cfg = config.load_config(EXAMPLES / f"{name}.toml")
    assert cfg.output == EXAMPLES / f"{name}.nc"  # relative to the config file
    assert cfg.figure == EXAMPLES / f"{name}.png"
    assert cfg.times[0] == 0.0
    assert np.all(np.diff(cfg.times) > 0)


def test_model_config(tmp_path: Path) -> None:
    cfg = config.load_config(write(tmp_path, MODEL + TIMES))
    assert (cfg.model, cfg.params) == ("kbody", {"N": 4, "k": 2})
    np.testing.assert_array_equal(cfg.times, [0.0, 0.5, 1.0, 1.5, 2.0])
    assert cfg.engine == "auto"
    assert cfg.bounds is True
    assert cfg.battery() is qb.models.kbody(4, 2)  # the cached model itself


def test_times_values_and_run_table(tmp_path: Path) -> None:
    text = MODEL + "[times]\nvalues = [0.0, 0.25, 1]\n"
    text += '[run]\nengine = "dense"\noutput = "out/x.nc"\nfigure = false\nbounds = false\n'
    cfg = config.load_config(write(tmp_path, text))
    np.testing.assert_array_equal(cfg.times, [0.0, 0.25, 1.0])
    assert cfg.output == tmp_path / "out" / "x.nc"
    assert (cfg.figure, cfg.engine, cfg.bounds) == (None, "dense", False)


def test_override_keeps_unset_values(tmp_path: Path) -> None:
    cfg = config.load_config(write(tmp_path, MODEL + TIMES))
    same = cfg.override()
    assert (same.output, same.figure, same.engine) == (cfg.output, cfg.figure, cfg.engine)
    new = cfg.override(output=Path("a.nc"), no_figure=True, engine="dense")
    assert (new.output, new.figure, new.engine) == (Path("a.nc"), None, "dense")
    assert cfg.override(figure=Path("f.pdf")).figure == Path("f.pdf")


def test_battery_from_npz_and_npy(tmp_path: Path, qutrit: dict[str, np.ndarray]) -> None:
    text = '[battery]\nH0 = "H0.npy"\nHC = "ops.npz:HC"\nstate = "ops.npz:rho0"\nname = "q3"\n'
    cfg = config.load_config(write(tmp_path, text + TIMES))
    bat = cfg.battery()
    np.testing.assert_array_equal(bat.dense("H0"), qutrit["H0"])
    np.testing.assert_array_equal(bat.dense("HC"), qutrit["HC"])
    np.testing.assert_array_equal(bat.state, qutrit["rho0"])
    assert bat.name == "q3"
    assert dict(bat.params) == {"H0": "H0.npy", "HC": "ops.npz:HC", "state": "ops.npz:rho0"}
    assert not bat.is_pure


def test_optional_operators_are_used(tmp_path: Path, qutrit: dict[str, np.ndarray]) -> None:
    P0 = np.array([[0.0, -1j, 0.0], [1j, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.savez(tmp_path / "extra.npz", P0=P0, H=2 * qutrit["H0"])
    text = '[battery]\nH0 = "H0.npy"\n' + REST
    text += 'P0 = "extra.npz:P0"\nH = "extra.npz:H"\nhermitian_atol = 1e-8\n'
    bat = config.load_config(write(tmp_path, text + TIMES)).battery()
    np.testing.assert_array_equal(bat.dense("P0"), P0)
    np.testing.assert_array_equal(bat.dense("H"), 2 * qutrit["H0"])


def test_run_writes_netcdf_that_round_trips(tmp_path: Path) -> None:
    text = MODEL + TIMES + '[run]\nengine = "dense"\n'
    cfg = config.load_config(write(tmp_path, text))
    result = config.run(cfg, progress=False)
    assert result.output == tmp_path / "run.nc"
    assert result.figure == tmp_path / "run.png"
    assert result.figure.read_bytes()[:4] == b"\x89PNG"
    with xr.open_dataset(result.output) as back:
        xr.testing.assert_identical(back.load(), result.dataset)
    # the numbers: Eq. (8) written out, N = 4, k = 2, Ω_k = 1/2
    x = 0.5 * cfg.times[1:]
    np.testing.assert_allclose(result.dataset.work_nsr[1:], 0.5 / np.tan(x) ** 2, rtol=1e-10)
    assert result.summary().startswith("kbody: 5 times with engine dense in ")
    first, optima = result.summary().splitlines()
    wrote = (
        f"wrote {tmp_path / 'run.nc'} and {tmp_path / 'run.png'} and {tmp_path / 'run_optima.nc'}"
    )
    assert first.endswith(wrote)
    assert optima.startswith("optimal charging: τ* = ")
    assert optima.endswith("(at the window's end: average_power; widen [times])")
    assert result.dataset.attrs["config"].endswith("run.toml")


BAD_CONFIGS = [
    pytest.param("[model\n", "is not valid TOML", id="toml-syntax"),
    pytest.param(
        MODEL + TIMES + "[extra]\n", r"unknown tables or keys \['extra'\]", id="unknown-table"
    ),
    pytest.param(
        MODEL + TIMES + "[run]\nspeed = 1\n",
        r"unknown keys \['speed'\] in \[run\]",
        id="unknown-run-key",
    ),
    pytest.param(TIMES, r"give exactly one of \[model\] .* or \[battery\]", id="neither"),
    pytest.param(MODEL + TIMES + '[battery]\nH0 = "a.npy"\n', "give exactly one of", id="both"),
    pytest.param(MODEL, r"missing \[times\] table", id="no-times"),
    pytest.param("[model]\nN = 4\n" + TIMES, r'\[model\] needs name = "<model>"', id="no-name"),
    pytest.param(
        '[model]\nname = "dicke-x"\n' + TIMES,
        r"unknown model 'dicke-x' in \[model\] name; choose one of",
        id="unknown-model",
    ),
    pytest.param(
        '[model]\nname = "kbody"\nN = 4\nk = 2\nJ = 1\n' + TIMES,
        r"model 'kbody' has no parameter\(s\) \['J'\]",
        id="unknown-parameter",
    ),
    pytest.param(
        '[model]\nname = "kbody"\nN = 4\n' + TIMES,
        r"model 'kbody' needs parameter\(s\) \['k'\]",
        id="missing-parameter",
    ),
    pytest.param(
        MODEL + "[times]\nstart = 0\nstop = 1\n",
        r"\[times\] needs start, stop and num",
        id="times-no-num",
    ),
    pytest.param(
        MODEL + "[times]\nstart = 0\nstop = 1\nnum = 0\n",
        "num must be a positive integer, got 0",
        id="times-num-0",
    ),
    pytest.param(
        MODEL + "[times]\nstart = 0\nstop = 1\nnum = 2.5\n",
        "num must be a positive integer, got 2.5",
        id="times-num-float",
    ),
    pytest.param(
        MODEL + "[times]\nstart = 2\nstop = 1\nnum = 3\n",
        "needs stop > start, got start = 2, stop = 1",
        id="times-reversed",
    ),
    pytest.param(
        MODEL + '[times]\nstart = "0"\nstop = 1\nnum = 3\n',
        "start and stop must be numbers",
        id="times-string",
    ),
    pytest.param(
        MODEL + "[times]\nvalues = []\n",
        "values must be a non-empty list of numbers",
        id="times-empty",
    ),
    pytest.param(
        MODEL + "[times]\nvalues = [0, 1]\nnum = 3\n",
        r"has `values`; drop \['num'\]",
        id="times-values-and-num",
    ),
    pytest.param(
        MODEL + TIMES + "[run]\nengine = 3\n",
        "engine must be a non-empty string, got 3",
        id="engine-type",
    ),
    pytest.param(
        MODEL + TIMES + '[run]\nbounds = "yes"\n', "bounds must be true or false", id="bounds-type"
    ),
    pytest.param(
        MODEL + TIMES + "[run]\nfigure = true\n",
        "figure must be a file name or false, got True",
        id="figure-true",
    ),
    pytest.param(
        MODEL + TIMES + '[run]\noutput = ""\n',
        "output must be a non-empty string",
        id="output-empty",
    ),
    pytest.param(
        "[battery]\n" + REST + TIMES,
        r'\[battery\] needs H0 = "file.npy" or "file.npz:key"',
        id="battery-no-H0",
    ),
    pytest.param(
        '[battery]\nH0 = "ops.npz"\n' + REST + TIMES,
        r'names an .npz archive; add the array\'s key, e.g. "ops.npz:H0"',
        id="npz-without-key",
    ),
    pytest.param(
        '[battery]\nH0 = "H0.npy:x"\n' + REST + TIMES,
        'a .npy file holds one array, drop ":x"',
        id="npy-with-key",
    ),
    pytest.param(
        '[battery]\nH0 = "H0.txt"\n' + REST + TIMES, "must end in .npy or .npz", id="bad-suffix"
    ),
    pytest.param(
        "[battery]\nH0 = 1\n" + REST + TIMES,
        r'\[battery\] H0 must be a string "file.npy" or "file.npz:key", got 1',
        id="operator-not-string",
    ),
    pytest.param(
        '[battery]\nH0 = "H0.npy"\n' + REST + "hermitian_atol = -1\n" + TIMES,
        "hermitian_atol must be a positive number, got -1",
        id="atol-negative",
    ),
    pytest.param(
        '[battery]\nH0 = "H0.npy"\n' + REST + "spin = 1\n" + TIMES,
        r"unknown keys \['spin'\] in \[battery\]",
        id="battery-unknown-key",
    ),
]


@pytest.mark.parametrize(("text", "match"), BAD_CONFIGS)
def test_bad_config(tmp_path: Path, qutrit: dict[str, np.ndarray], text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        config.load_config(write(tmp_path, text)).battery()


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file '.*nope.toml' does not exist"):
        config.load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a directory, not a TOML file"):
        config.load_config(tmp_path)


BAD_FILES = [
    pytest.param(
        'H0 = "missing.npy"',
        r"\[battery\] H0: file '.*missing.npy' does not exist",
        id="missing-npy",
    ),
    pytest.param(
        'H0 = "gone.npz:H0"', r"\[battery\] H0: file '.*gone.npz' does not exist", id="missing-npz"
    ),
    pytest.param(
        'H0 = "ops.npz:H1"',
        r"ops.npz has no array 'H1'; it has \['H0', 'HC', 'psi0', 'rho0'\]",
        id="missing-key",
    ),
    pytest.param('H0 = "obj.npy"', "cannot read obj.npy without pickle", id="object-array"),
    pytest.param('H0 = "junk.npy"', "cannot read junk.npy", id="not-numpy"),
]


@pytest.mark.parametrize(("entry", "match"), BAD_FILES)
def test_bad_operator_files(
    tmp_path: Path, qutrit: dict[str, np.ndarray], entry: str, match: str
) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "junk.npy").write_bytes(b"not a numpy file")
    text = f"[battery]\n{entry}\n" + REST + TIMES
    cfg = config.load_config(write(tmp_path, text))  # files are read when the battery is built
    with pytest.raises(ConfigError, match=match):
        cfg.battery()


def test_non_hermitian_operator_is_reported_by_the_battery(tmp_path: Path) -> None:
    np.savez(
        tmp_path / "ops.npz",
        H0=np.array([[0.0, 1.0], [0.0, 1.0]]),
        HC=np.eye(2),
        psi0=np.array([1.0, 0.0]),
    )
    text = '[battery]\nH0 = "ops.npz:H0"\n' + REST + TIMES
    with pytest.raises(InvalidInputError, match=r"`H0` must be Hermitian, but max\|H0 − H0†\| = 1"):
        config.load_config(write(tmp_path, text)).battery()


def test_model_parameter_errors_come_from_the_model(tmp_path: Path) -> None:
    text = '[model]\nname = "kbody"\nN = 4\nk = 9\n' + TIMES
    with pytest.raises(InvalidInputError, match=r"`k` must be ≥ 1 and ≤ 4, got 9"):
        config.load_config(write(tmp_path, text)).battery()


def test_parse_times_is_only_about_form() -> None:
    # values are checked by qb.charge (strictly increasing etc.), not here
    np.testing.assert_array_equal(config.parse_times("x", {"values": [1, 0]}), [1.0, 0.0])
    np.testing.assert_array_equal(config.parse_times("x", {"start": 1, "stop": 1, "num": 1}), [1.0])

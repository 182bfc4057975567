"""``qbattery scaling FAMILY``: a thin command over :func:`qbattery.studies.scaling.scaling`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbattery.errors import InvalidInputError


def scaling_command(
    family: Annotated[str, typer.Argument(help="Model family: kbody or ising (paper reading).")],
    sizes: Annotated[
        str,
        typer.Option(
            "--sizes",
            "-N",
            help="Comma-separated increasing N, e.g. 16,64,256,1024 (at least two).",
            show_default=False,
        ),
    ],
    k: Annotated[
        int | None,
        typer.Option("--k", help="kbody: fixed interaction order k.", show_default=False),
    ] = None,
    k_fraction: Annotated[
        float | None,
        typer.Option("--k-fraction", help="kbody: fixed k/N in (0, 1].", show_default=False),
    ] = None,
    s: Annotated[
        int | None,
        typer.Option("--s", help="ising: string length s.", show_default=False),
    ] = None,
    time: Annotated[
        float,
        typer.Option(
            "--time", "-t", help="Time t at which the NSRs are taken (App. E: N/k ≫ Ω0 t)."
        ),
    ] = 1.0,
    engine: Annotated[
        str,
        typer.Option("--engine", "-e", help="Engine: auto (structured here), dense, ..."),
    ] = "auto",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Directory for scaling.nc and scaling.png/.pdf (created if missing).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """NSRs, peak and average power, NSRs at τ* against N; fitted vs predicted exponents."""
    from qbattery.studies.scaling import FITTED, plot_scaling, scaling

    try:
        parsed = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError as exc:
        raise InvalidInputError(
            f"--sizes takes comma-separated integers, got {sizes!r}; e.g. 16,64,256"
        ) from exc
    ds = scaling(
        family,  # type: ignore[arg-type]  # checked by scaling()
        parsed,
        k=k,
        k_fraction=k_fraction,
        s=s,
        time=time,
        engine=engine,
    )
    typer.echo(
        f"{ds.attrs['family']} ({ds.attrs['fixed']}), t = {time:g}, engine {ds.attrs['engine']}"
    )
    typer.echo(f"{'quantity':<18} {'fitted':>9} {'predicted':>9}")
    for name in FITTED:
        fitted = ds.attrs[f"{name}_exponent"]
        predicted = ds.attrs[f"{name}_exponent_predicted"]
        typer.echo(f"{name:<18} {round(fitted, 4) + 0.0:>9.4f} {predicted:>9.4g}")
    if out is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        out.mkdir(parents=True, exist_ok=True)
        ds.to_netcdf(out / "scaling.nc")
        plot_scaling(ds)
        fig = plt.gcf()
        for ext in ("png", "pdf"):
            fig.savefig(out / f"scaling.{ext}", dpi=150)
        plt.close(fig)
        typer.echo(f"wrote scaling.nc, scaling.png, scaling.pdf to {out}")


def register(app: typer.Typer) -> None:
    """Add ``qbattery scaling`` to the ``qbattery`` app."""
    app.command("scaling")(scaling_command)

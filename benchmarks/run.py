"""`make bench`: run every benchmarks/bench_*.py module and print one table each.

Each module exposes ``run(quick: bool) -> tuple[str, list[dict]]`` returning a title
and rows (dicts with the same keys). Ratios are measured side by side in one run.
Select modules with ``python benchmarks/run.py dense krylov``; ``--quick`` for smaller
sizes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def print_table(title: str, rows: list[dict]) -> None:
    """Print rows as an aligned text table."""
    print(f"\n## {title}\n")
    if not rows:
        print("(no rows)")
        return
    keys = list(rows[0])
    cells = [[_fmt(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print(" | ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for c in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        title, rows = module.run(quick)
        print_table(title, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

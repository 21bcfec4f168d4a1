"""The engine is pure Python/NumPy/pandas/SciPy: it never imports streamlit or plotly."""

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "margin"
FORBIDDEN = ("streamlit", "plotly")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_engine_module_imports_a_ui_library():
    offenders = {
        path.name: sorted(_imported_modules(path) & set(FORBIDDEN))
        for path in ENGINE.glob("*.py")
        if _imported_modules(path) & set(FORBIDDEN)
    }
    assert offenders == {}, f"margin/ must not import UI libraries: {offenders}"


def test_importing_the_engine_loads_no_ui_library():
    code = "import sys, margin, margin.history; print(','.join(m for m in ('streamlit', 'plotly') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ENGINE.parent)
    assert out.stdout.strip() == ""


def test_public_api_of_design_md_is_exported():
    import margin

    for name in ("Market", "Portfolio", "Spot", "Perp", "Future", "Option", "CrossParams", "PortfolioParams",
                 "cross_margin", "portfolio_margin", "value_at_risk", "liquidation_price", "shock_sweep",
                 "load_portfolio", "nearest_correlation", "PortfolioError"):
        assert hasattr(margin, name), name

"""Money as the API counts it: integers of an asset's atomic unit (USDC has 6 decimals).

The mirror stores atomic integers and converts only to show them, exactly (``Decimal``, never a
float), keeping every significant digit and at least cents.
"""

from __future__ import annotations

from decimal import Decimal

DOLLAR_SYMBOLS = frozenset({"USDC", "USDT", "USD", "DAI", "PYUSD"})
DEFAULT_DECIMALS = 6  # the decimal strings of the analytics routes are in USDC


def amount(atomic: int | None, decimals: int | None) -> Decimal | None:
    if atomic is None:
        return None
    return Decimal(int(atomic)).scaleb(-int(DEFAULT_DECIMALS if decimals is None else decimals))


def plain(atomic: int | None, decimals: int | None) -> str | None:
    """``12500000, 6`` -> ``"12.50"``; ``12345678, 6`` -> ``"12.345678"`` (exact, at least 2 places)."""
    value = amount(atomic, decimals)
    if value is None:
        return None
    text = f"{value:f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"


def display(atomic: int | None, decimals: int | None, symbol: str | None = "USDC") -> str:
    """``$12.50`` for dollar stablecoins, ``1.5 ETH`` otherwise, ``-`` when unknown."""
    text = plain(atomic, decimals)
    if text is None:
        return "-"
    if symbol is None or symbol.upper() in DOLLAR_SYMBOLS:
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return f"{text} {symbol}"

"""Money as the API counts it: integers of an asset's atomic unit (USDC has 6 decimals).

The mirror stores atomic integers and converts only to show them, exactly (digit arithmetic, never
a float), keeping every significant digit and at least cents.
"""

from __future__ import annotations

DOLLAR_SYMBOLS = frozenset({"USDC", "USDT", "USD", "DAI", "PYUSD"})
DEFAULT_DECIMALS = 6  # the decimal strings of the analytics routes are in USDC


def plain(atomic: int | None, decimals: int | None) -> str | None:
    """``12500000, 6`` -> ``"12.50"``; ``12345678, 6`` -> ``"12.345678"`` (exact, at least 2 places).

    Pure digit arithmetic: no float, and no Decimal context that would round a long number."""
    if atomic is None:
        return None
    places = DEFAULT_DECIMALS if decimals is None else max(int(decimals), 0)
    digits = str(abs(int(atomic))).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places :]
    sign = "-" if atomic < 0 else ""
    return f"{sign}{whole}.{frac.rstrip('0').ljust(2, '0')}"


def display(atomic: int | None, decimals: int | None, symbol: str | None = "USDC") -> str:
    """``$12.50`` for dollar stablecoins, ``1.5 ETH`` otherwise, ``-`` when unknown."""
    text = plain(atomic, decimals)
    if text is None:
        return "-"
    if symbol is None or symbol.upper() in DOLLAR_SYMBOLS:
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return f"{text} {symbol}"

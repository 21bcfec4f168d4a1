"""Rebuild the bundled crash episodes from their source, exactly as they were made (not run by the app).

Source: the GitHub repository Alexshch09/Stocks-prices at commit
11c6cc3c080b66a3bcdd820d4863f327a5a0a433, files data/<COIN>-USD.csv: Yahoo Finance daily bars of the
tickers BTC-USD, ETH-USD, ... (Yahoo's crypto quotes come from CoinMarketCap; the column layout,
Date,Open,High,Low,Close,Volume,Dividends,Stock Splits with UTC-midnight dates, is yfinance's
``Ticker.history``). The "Close" column is copied digit for digit: no price is rounded, filled in or
smoothed. A coin is left out of an episode when the source has no close for every day of it.

Usage: python sample_data/episodes/build_episodes.py <path to a checkout of that repository>
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_COMMIT = "11c6cc3c080b66a3bcdd820d4863f327a5a0a433"
COINS = ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LINK")
#: Days of closes before an episode's first replayed day: their returns seed the EWMA volatility.
WARM_UP_DAYS = 60


def closes(checkout: Path, coin: str) -> dict[str, str]:
    """date (YYYY-MM-DD) -> the Close cell as the source writes it, read from the pinned commit."""
    text = subprocess.run(["git", "-C", str(checkout), "show", f"{SOURCE_COMMIT}:data/{coin}-USD.csv"],
                          check=True, capture_output=True, text=True).stdout
    rows = csv.DictReader(text.splitlines())
    return {row["Date"][:10]: row["Close"] for row in rows}


def main(checkout: Path) -> None:
    episodes = json.loads((HERE / "episodes.json").read_text())["episodes"]
    sources = {coin: closes(checkout, coin) for coin in COINS}
    for episode in episodes:
        first = date.fromisoformat(episode["start"]) - timedelta(days=WARM_UP_DAYS)
        last = date.fromisoformat(episode["end"])
        days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
        kept = [coin for coin in COINS if all(day in sources[coin] for day in days)]
        with open(HERE / episode["file"], "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["date", *kept])
            for day in days:
                writer.writerow([day, *(sources[coin][day] for coin in kept)])
        print(episode["file"], days[0], days[-1], len(days), "rows:", ", ".join(kept))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

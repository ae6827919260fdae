"""Deterministic generator of the example contact list scenarios/lists/blast.csv.

Run once (``python tests/scenario/make_lists.py``) and commit the CSV; a test
checks the committed file still matches. Numbers use the fictional 555-01xx
block in twenty area codes.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

BLAST_CSV = Path(__file__).resolve().parents[2] / "scenarios" / "lists" / "blast.csv"
FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
    "Kira", "Luca", "Maya", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
)  # fmt: skip


def blast_rows(count: int = 2_000, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [
        {
            "phone_number": f"+1{201 + i // 100}55501{i % 100:02d}",
            "first_name": rng.choice(FIRST_NAMES),
            "account_id": f"ACC-{100_000 + i}",
        }
        for i in range(count)
    ]


def blast_csv_text() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["phone_number", "first_name", "account_id"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(blast_rows())
    return out.getvalue()


if __name__ == "__main__":
    BLAST_CSV.parent.mkdir(parents=True, exist_ok=True)
    BLAST_CSV.write_text(blast_csv_text(), encoding="utf-8", newline="")

"""Where a PostgreSQL database still holds CPR numbers in plain text (issue 10): every text
and JSON cell of every table, searched for given numbers in either spelling."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import create_engine, text

TEXT_COLUMNS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
ORDER BY table_name, column_name
"""


def text_cells(url: str) -> dict[str, list[str]]:
    """Every text or JSON value of the database at ``url``, as text, by ``table.column``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            columns = connection.execute(text(TEXT_COLUMNS)).all()
            return {
                f"{table}.{column}": [
                    value
                    for value in connection.execute(text(f'SELECT CAST("{column}" AS text) FROM "{table}"')).scalars()
                    if value is not None
                ]
                for table, column in columns
            }
    finally:
        engine.dispose()


def plain_cpr_cells(url: str, numbers: Iterable[str]) -> list[str]:
    """``table.column`` of every cell holding one of ``numbers`` (ten digits, or DDMMYY-SSSS)."""
    spellings = {n for digits in numbers for n in (digits, f"{digits[:6]}-{digits[6:]}")}
    return sorted(
        name for name, values in text_cells(url).items() if any(s in value for value in values for s in spellings)
    )

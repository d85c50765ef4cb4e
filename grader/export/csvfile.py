r"""CSV for gradebook imports: RFC 4180 quoting, and cells a spreadsheet will not run.

Instructors open these files in a spreadsheet before uploading them, and a cell that starts with
= + - @ (or a tab or carriage return) is a formula there (OWASP, "CSV Injection"). Every text
cell that starts so gets a leading apostrophe, which spreadsheets show as text; number cells
are written by us and never start so. Every text cell goes through the sanitiser first
(``sanitizer.for_data``): a name or a feedback cell shows an escape sequence or a bidi override
spelled out (``\u202e``), never obeyed by the spreadsheet or the gradebook that shows it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from grader.sanitizer import for_data

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula(cell: str) -> bool:
    """Whether a spreadsheet would read this cell as a formula."""
    return cell.startswith(_FORMULA_START)


def text_cell(value: str | None) -> str:
    """A text cell that is safe to open in a spreadsheet and to show in a gradebook."""
    cell = for_data(value or "")
    return "'" + cell if is_formula(cell) else cell


def render(header: Sequence[str], rows: Iterable[Sequence[str]], *, bom: bool) -> str:
    """The whole file: CRLF line ends, fields quoted when they hold , " or a line break."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([text_cell(h) for h in header])
    writer.writerows(rows)
    return ("\ufeff" if bom else "") + buffer.getvalue()

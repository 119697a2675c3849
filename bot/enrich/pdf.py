"""PDF documents: title (metadata, else the first line of text) and word count, via pypdf.

pypdf is imported by the first PDF (~6 MB of RSS that most runs never need).
"""

from __future__ import annotations

import io

from bot.enrich.extract import MAX_MAIN_TEXT_CHARS
from bot.enrich.fields import MAX_TITLE_CHARS, clean_text, shorten
from bot.enrich.model import ExtractionFailed, PageMetadata

MAX_PAGES = 100  # word counts of longer documents cover their first hundred pages


def extract_pdf(data: bytes, url: str) -> PageMetadata:
    """Metadata of the PDF ``data`` fetched from ``url``. CPU-bound: run it in a thread."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        declared_title = clean_text(reader.metadata.title if reader.metadata else None)
        author = clean_text(reader.metadata.author if reader.metadata else None)
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PAGES]]
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise ExtractionFailed(f"unreadable PDF: {type(error).__name__}: {error}") from None
    text = "\n".join(pages)
    lines = (clean_text(line) for line in text.splitlines())
    first_line = next((line for line in lines if line), None)
    return PageMetadata(
        final_url=url,
        title=shorten(declared_title or first_line, MAX_TITLE_CHARS),
        author=author,
        word_count=len(text.split()) or None,
        main_text=text[:MAX_MAIN_TEXT_CHARS] or None,
    )

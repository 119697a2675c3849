"""Hostile documents, built for real: each defeats a naive extractor in its own way (each is
built once: call it before timing a request that serves it)."""

from __future__ import annotations

import functools
import io

STRAY_END_TAGS_REPEATS = 58_000  # 527 KB: the page


@functools.cache
def stray_end_tags_page(repeats: int = STRAY_END_TAGS_REPEATS) -> bytes:
    """``<div></x>`` over and over: the ``</x>`` closes nothing, so the divs nest ~58,000 deep
    (a counting pre-scan that decrements on any end tag sees depth 1)."""
    return b"<html><body>" + b"<div></x>" * repeats + b"</body></html>"


@functools.cache
def hidden_end_tags_page(repeats: int = 60_000) -> bytes:
    """Each div's "end tag" is inside an attribute value, where it is text: no regex pre-scan
    sees the nesting, and the parser's work grows quadratically with it (~1 MB)."""
    return b"<html><body>" + b"<div title='</div>'>" * repeats + b"</body></html>"


@functools.cache
def shared_stream_pdf(pages: int = 100, repeats: int = 150_000) -> bytes:
    """A small PDF (~20 KB) whose pages all point at one large compressed content stream, so a
    text extractor decodes and interprets megabytes of text operators once per page."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    resources = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 712 Td " + b"(budget) Tj 0 -1 Td " * repeats + b"ET")
    contents = writer._add_object(stream.flate_encode(level=9))
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Contents")] = contents
        page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

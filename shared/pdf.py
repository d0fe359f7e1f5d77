"""A signed document (an assignment contract, an organization agreement) as PDF: the same HTML whose SHA-256 a
signature names, laid out on A4 pages by WeasyPrint. WeasyPrint (the ``pdf`` extra) needs the system's Pango;
where either is missing, asking for a PDF answers ``unavailable`` and everything else works."""

from __future__ import annotations

import asyncio
import base64
import html

from shared.documents import Document
from shared.errors import Unavailable

STYLE = """
@page { size: A4; margin: 22mm 20mm;
        @bottom-center { content: counter(page) " / " counter(pages); font: 9pt "DejaVu Sans", sans-serif; } }
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; }
dl { display: grid; grid-template-columns: 42mm auto; gap: 2pt 8pt; margin: 0; } dt { font-weight: bold; }
dd { margin: 0; } .fingerprint { margin-top: 18pt; font-size: 8pt; color: #444; word-break: break-all; }
"""


def to_pdf(document_html: str, language: str, title: str, fingerprint: str, what: str = "the document") -> bytes:
    """``document_html`` (the document's article) as a PDF, with the document's SHA-256 printed under it so that
    a printed copy names the version it is; ``what`` names the document where PDF is not available."""
    try:
        import weasyprint
    except (ImportError, OSError) as missing:  # OSError: WeasyPrint installed, the system's Pango not
        raise Unavailable(f"{what} cannot be rendered as PDF here: WeasyPrint and Pango are not installed "
                          "(pip install 'kokemus[pdf]'); read it as HTML") from missing
    page = (f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{document_html}"
            f'<p class="fingerprint">SHA-256 {html.escape(fingerprint)}</p></body></html>')
    pdf: bytes = weasyprint.HTML(string=page).write_pdf()
    return pdf


async def pdf_base64(document: Document, title: str, what: str) -> str:
    """The document as PDF, base64 for a reply on the bus, rendered off the event loop."""
    pdf = await asyncio.to_thread(to_pdf, document.html, document.language, title, document.sha256, what)
    return base64.b64encode(pdf).decode()

"""PDFs of the merchant's reports, drawn by WeasyPrint from HTML (the page's own template parts and
charts): one helper, so that every report renders the same way."""
import logging

# WeasyPrint logs a progress line per step of every document (and on import) at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a complete HTML document. Its styles are inline and its pictures inline SVG or
    data: URLs (the merchant's logo), so nothing is fetched while it renders."""
    from weasyprint import HTML  # heavy: imported by the requests that render only

    return HTML(string=html).write_pdf()

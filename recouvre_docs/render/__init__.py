"""Rendering: Jinja templates (environment.py) and HTML -> PDF with WeasyPrint (pdf.py)."""

"""Report documents: built from the data as a format-neutral Document, then rendered as PDF, Word and Excel."""

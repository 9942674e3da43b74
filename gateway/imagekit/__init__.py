"""The ImageKit dialect: the URL transformation grammar (``urlgrammar/``),
signed URLs (``signing``) and the image URL handler (``handlers``)."""

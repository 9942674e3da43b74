"""The Cloudinary dialect: delivery URLs (``path``), their signatures
(``signing``), the transformation components (``components``, ``values``,
``effects``, ``layers``) compiled to the one EditGraph (``compile``), and the
URL handler (``handlers``)."""

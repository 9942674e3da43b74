"""What every ImageKit API error body carries besides imgmesh's ``code``
and ``message``."""

HELP = "For support kindly contact us at support@imagekit.io ."  # ImageKit's own help text

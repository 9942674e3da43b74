"""The imgproxy v4 URL dialect (https://docs.imgproxy.net/usage/processing):
the path's processing options, source URL and signature compiled to the one
EditGraph."""

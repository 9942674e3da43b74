"""The web console: a single page served at ``/console`` from the static
files beside this package (no build step, nothing fetched from a CDN). It
calls only the public HTTP APIs, with the API key the user signs in with."""

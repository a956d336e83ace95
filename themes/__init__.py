"""Theme files shipped with socialdesk (installed as the `socialdesk.themes` package data)."""

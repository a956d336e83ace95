"""Run the socialdesk command line with `python -m socialdesk`."""

from socialdesk.cli import main

main()

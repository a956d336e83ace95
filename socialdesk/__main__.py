"""Run the socialdesk command line with `python -m socialdesk`."""

from socialdesk.launcher import main

main()

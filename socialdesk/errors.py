"""The one exception type whose message is shown to the user as a single line, without a traceback."""


class UserError(Exception):
    """Something the user can fix (bad config, bad argument, missing file): say what and where."""

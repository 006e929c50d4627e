class ReleaseError(Exception):
    """A failure the user can act on: printed as one clear message, never as a traceback."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageError(ReleaseError):
    """Bad input (malformed tag, image name, option): exit code 2, like argparse."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)

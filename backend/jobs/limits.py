"""What a job may be, and how hard the system tries to finish one.

Kept in code rather than in the environment: they are part of the feature's contract with its
clients (the API answers 400 naming these numbers), not something a deployment tunes.
"""

from datetime import timedelta

MIB = 1024 * 1024

MAX_TEXT_BYTES = 1 * MIB
MAX_FILE_BYTES = 10 * MIB
# Room for the multipart framing and the small fields beside a file at its limit. A body beyond
# this is refused from its Content-Length, before Django reads it.
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 1 * MIB
ALLOWED_EXTENSIONS = (".txt", ".md", ".csv")
MAX_TITLE_LENGTH = 200
MAX_FILE_NAME_LENGTH = 255

TOP_N_DEFAULT = 10
TOP_N_MAX = 100
PAGE_SIZE_MAX = 100

# A job is run at most this many times (first run included). A message whose worker keeps
# getting killed (out of memory, say) is redelivered each time; this bound ends the loop.
MAX_ATTEMPTS = 3
# A job is "processing" for at most the hard time limit; past it plus this margin its worker is
# gone (the time limit would have ended the task otherwise).
STUCK_MARGIN = timedelta(seconds=60)
# A job still pending this long after its message was sent has probably lost that message (a
# Redis restart without persistence, a broker outage at submit time): it is sent again.
PENDING_REDISPATCH_AFTER = timedelta(minutes=15)

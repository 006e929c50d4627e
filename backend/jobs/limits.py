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
# A run's working directory older than the hard time limit plus this margin belongs to a run
# that was killed and never came back.
STUCK_MARGIN = timedelta(seconds=60)
# A running job's worker says it is alive this often; after HEARTBEAT_TIMEOUT of silence the
# worker is taken as dead and the job is sent again (to run within about 20 s of the death).
HEARTBEAT_INTERVAL = timedelta(seconds=5)
HEARTBEAT_TIMEOUT = timedelta(seconds=15)
# A new job's message is sent right after its commit; a job still undispatched this much later
# missed it (the broker was down) and the dispatch loop sends it. Longer than a send can take
# (REDIS_TIMEOUT), so the loop never races the request's own send.
DISPATCH_GRACE = timedelta(seconds=10)

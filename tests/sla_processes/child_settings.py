"""Settings of the scheduler and worker processes the exactly-once test starts: the project's, faster.

The periodic work runs every second instead of every minute, and a firing a worker claimed but never
finished (its worker was killed) is handed out again after a few seconds instead of minutes, so the test
sees the recovery within its deadline. Everything else is the product's own configuration.
"""

from opsdesk.config.settings import *  # noqa: F403
from opsdesk.core.management.commands.scheduler import DEFAULT_PERIODIC_TASKS

OPSDESK_PERIODIC_TASKS = {path: 1 for path in DEFAULT_PERIODIC_TASKS}

"""Settings of the scheduler and worker processes the exactly-once test starts: the project's, faster.

Only the SLA's periodic work runs, every two seconds instead of every half minute (the other periodic tasks
would only add noise), and a firing whose task has not finished (its worker was killed) is handed out again
after a few seconds instead of minutes, so the test sees the recovery within its deadline. Email goes to
files in the data directory. Everything else is the product's own configuration.
"""

import os

from opsdesk.config.settings import *  # noqa: F403
from opsdesk.core.management.commands.scheduler import DEFAULT_PERIODIC_TASKS

OPSDESK_PERIODIC_TASKS = {path: 2 for path in DEFAULT_PERIODIC_TASKS if path.startswith("opsdesk.sla.")}
# Longer than the queue takes to drain (a firing still waiting in the queue is enqueued again after the
# lease), shorter than the test's deadline (the killed worker's firing is recovered only after it).
OPSDESK_SLA_FIRING_LEASE_SECONDS = int(os.environ.get("OPSDESK_SLA_FIRING_LEASE_SECONDS", "30"))
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

"""Settings of the scheduler and worker processes the exactly-once test starts: the project's, faster.

Only the SLA's periodic work runs, every two seconds instead of every half minute (the other periodic tasks
would only add noise), and a firing whose task has not finished (its worker was killed, or it still waits in the
queue) is handed out again after five seconds instead of two minutes. Email goes to
files in the data directory. Everything else is the product's own configuration.
"""

import os

from opsdesk.config.settings import *  # noqa: F403
from opsdesk.core.management.commands.scheduler import DEFAULT_PERIODIC_TASKS

OPSDESK_PERIODIC_TASKS = {path: 2 for path in DEFAULT_PERIODIC_TASKS if path.startswith("opsdesk.sla.")}
# Short on purpose: a firing still waiting in the queue after the lease is enqueued again, so the test also
# sees firings delivered twice (each must act once: a non-idempotent fire task fails the test with
# duplicates), and the killed worker's firings come back within seconds.
OPSDESK_SLA_FIRING_LEASE_SECONDS = int(os.environ.get("OPSDESK_SLA_FIRING_LEASE_SECONDS", "5"))
# The lease counts from when a worker claims a firing; one still waiting unclaimed in the queue is enqueued
# again after this (half an hour by default), so deliveries twice happen here too.
OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("OPSDESK_SLA_FIRING_QUEUE_TIMEOUT_SECONDS", "8"))
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

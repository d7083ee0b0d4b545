"""The calendar-sync worker: reads advisors' CalDAV calendars, computes each offer's bookable
starts, publishes them as ``availability.computed`` and writes booked meetings back into
the advisors' calendars. Runs as a Celery worker (``celery_app``) with an event consumer."""

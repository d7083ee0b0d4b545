"""E-mail to citizens about their bookings (issue 11): confirmation, rebooking,
cancellation and reminder.

A message is composed in Danish and written into the ``citizen_mail`` table inside the
transaction that changes the booking (``queue.queue_booking_mail``) or by the reminder run
(``reminders.queue_reminders``); after the commit the mail worker (``celery_app``) claims
due messages and sends them over SMTP or into a pickup folder (``sending.send_due``,
``transport``), retrying with backoff. Nothing is lost when the worker or the SMTP server is
down, and no message is sent twice by concurrent workers. No message holds a CPR number or
the citizen's name.
"""

"""The one-command demo: every part of jobcenter-planner in one process on embedded parts
(SQLite, kombu's in-memory broker, Celery in eager mode, an embedded Radicale server)."""

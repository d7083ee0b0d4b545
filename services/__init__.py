"""The three services of jobcenter-planner (offers, booking, calendar_sync), the demo and the command line."""

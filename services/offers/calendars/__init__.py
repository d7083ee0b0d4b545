"""The advisors' calendars as staff see them: calendar health, conflicts with booked
meetings, and the times at which chosen advisors are all free for a group meeting (O-12)."""

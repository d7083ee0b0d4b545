"""Admin data (A-1 to A-3): job centres with sub-job-centres and closing days, teams, meeting
rooms, and advisors with their calendars, working hours and stored calendar secrets."""

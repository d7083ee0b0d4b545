"""The offers service (staff side): job centres, teams, rooms, advisors and online offers."""

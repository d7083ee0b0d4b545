-- The two other databases of jobcenter-planner (planner_offers is POSTGRES_DB); run once, when
-- the PostgreSQL volume is new.
CREATE DATABASE planner_booking OWNER planner;
CREATE DATABASE planner_calendar_sync OWNER planner;

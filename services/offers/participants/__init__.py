"""Who booked an offer, on the staff's offer page (V-3, V-4): the participant list, the CPR
search, "Vis" for one CPR number and the Excel export.

Booking owns the bookings, and the citizens' profiles and CPR numbers with them. The offers
service asks booking's staff API for them when a page needs them (``booking_api``), rather
than keeping a copy from booking's events: a copy would put every booked citizen's CPR
number and name in a second database, with its own keys, for a list staff open now and
then; asking gives the list as it is this second, and booking logs every number it gives.
The page shows a number in full only on "Vis" or in the export, and the offers service logs
each of those with the person who saw it (``cpr_access_log``), as booking logs the service.
"""

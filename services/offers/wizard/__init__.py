"""The 4-step offer wizard of the staff site (O-1 to O-10, R-1 to R-5): Type, Tid, Deltagere
and Opsummering, on a draft kept in the database (``OfferDraft``), so a half-finished offer
survives a closed browser and a new login. Saving calls the same operation as
``POST /api/v1/offers``; there is no second path to a write."""

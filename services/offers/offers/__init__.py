"""Online offers (O-1 to O-10, V-1 to V-6): their fields and checks, creating and changing
them, and the offer list staff filter and sort."""

"""Event buses, chosen by `CONCORD_BUS_URL` (see `concord.bus.factory`)."""

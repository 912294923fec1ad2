"""Statistics of the Platzbörse: aggregate tables under disclosure control, charts, exports."""

"""Pure SLA decisions (no ORM): which clocks run in which state, segments of a clock's history."""

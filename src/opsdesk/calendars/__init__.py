"""Business calendars: working hours, Chinese public holidays and make-up working days (调休), business-time arithmetic."""

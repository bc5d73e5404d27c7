"""Reports: SLA compliance, man-hours and cost, and their Excel exports."""

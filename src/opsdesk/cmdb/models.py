"""Models of the cmdb app."""

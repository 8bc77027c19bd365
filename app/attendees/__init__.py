"""Attendee names per ticket and an event's custom questions, asked after payment."""

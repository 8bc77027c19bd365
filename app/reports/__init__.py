"""An event's reports for organizers and finance: funnel, sales and revenue, occupancy."""

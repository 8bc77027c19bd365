"""The web apps (fan app, organizer console) and how the API process serves them."""

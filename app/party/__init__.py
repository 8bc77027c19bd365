"""Party linking over HTTP: accounts that queue as one (waiting_room/party.py)."""

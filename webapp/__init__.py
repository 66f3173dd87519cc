"""Tindak's web application (Flask app factory in `webapp.app`)."""

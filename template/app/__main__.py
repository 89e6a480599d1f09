"""`python -m app`: serve the app (SERVER_HOST, SERVER_PORT, SERVER_SERVER from .env)."""

from app.main import app

app.run("app.main:app")

"""Entry point for `flask --app app …` and gunicorn (`app:app`)."""
from tracker import create_app, freeze_heap_after_first_request

app = create_app()
freeze_heap_after_first_request(app)

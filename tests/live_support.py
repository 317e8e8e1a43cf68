"""Real HTTP against the live test server (conftest's live_server): logged-in sessions, simultaneous posts;
a free port for the servers the tests start.

Each requests.Session has its own cookies, and werkzeug's threaded server runs each request in its own thread
with its own database connection: real concurrency, unlike the Flask test client.
"""
import socket
import threading

import requests

from tests.factories import PASSWORD


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_login(base: str, user, password: str = PASSWORD) -> requests.Session:
    """A requests session logged in as the user (a User or a username) on the server at `base`."""
    username = getattr(user, "username", user)
    session = requests.Session()
    response = session.post(f"{base}/login", data={"username": username, "password": password},
                            allow_redirects=False)
    assert response.status_code == 302, f"{username} could not log in: {response.text[:500]}"
    return session


def post_at_once(posts: list[tuple[requests.Session, str, dict]]) -> list[requests.Response]:
    """Post every (session, url, data) at the same moment; the responses in the same order."""
    barrier = threading.Barrier(len(posts))
    responses: list = [None] * len(posts)

    def run(index: int, session, url, data):
        barrier.wait()
        responses[index] = session.post(url, data=data, allow_redirects=False, timeout=60)

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses

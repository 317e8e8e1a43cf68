"""What the tests read from a Flask test client's response."""
import html
import re


def page_text(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def ok_page(response) -> str:
    """The body of a 200 response, HTML entities decoded."""
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def visible_text(response) -> str:
    """The page's visible text from <main> on, tags stripped and whitespace collapsed."""
    page = response.get_data(as_text=True)
    page = page[page.find("<main"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&amp;", "&").replace("&#34;", '"')


def version_on_page(html: str) -> str:
    """The optimistic-lock version the page's form carries."""
    match = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert match, "no version field on the page"
    return match.group(1)

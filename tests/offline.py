"""What the browser tests let a page fetch: files of this machine's test servers, and
nothing from another host, so that they behave the same with or without internet and
show that the website and the notebooks need nothing from elsewhere."""

import re

#: Every address the tests block: not of a local server, nor of the page itself (data,
#: blob, about). A pattern, not a function, so that Playwright intercepts only these
#: requests; with a function it passes every request of every page through the test's
#: process (about 2 CPU-s more for each chapter page). Matched in the browser too, so
#: written in the syntax Python and JavaScript share.
OTHER_HOSTS = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost)(?:[:/?#]|$)"
                         r"|(?:data|blob|about):)")


def is_local(url):
    """Whether the tests let a page fetch ``url``."""
    return not OTHER_HOSTS.search(url)
